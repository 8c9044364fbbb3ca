/**
 * Type-level assertions about co-process functions, operator state and the broadcast state
 * pattern: checked by `npm run typecheck`, never run as a test (see api-types.ts for the conventions).
 */
import {
  BroadcastStateDescriptor,
  job,
  OutputTag,
  sinks,
  sources,
  state,
  type BroadcastConnectedStreams,
  type BroadcastStream,
  type Collector,
  type DataStream,
  type KeyedBroadcastConnectedStreams,
  type ListState,
  type MapState,
  type PartitionedStream,
  type ReadOnlyBroadcastState,
  type ValueState,
} from 'weir';
import type { Equals, Expect } from './api-types.ts';

interface Trade {
  symbol: string;
  price: number;
  ts: number;
}

interface Limit {
  symbol: string;
  max: number;
}

export const coProcessTyped = job('coprocess-types', (env) => {
  const trades = env.from(sources.fromArray<Trade>([{ symbol: 'A', price: 1, ts: 0 }])).withTimestamps((t) => t.ts);
  const limits = env.from(sources.fromArray<Limit>([{ symbol: 'A', max: 10 }]));
  const bySymbol = trades.keyBy((t) => t.symbol);
  const limitsBySymbol = limits.keyBy((l) => l.symbol);
  const high = new OutputTag<Trade>('high');

  // Keyed co-process: both record types, the key type and the declared states reach the functions; the output type comes from out.
  const checked = bySymbol.connect(limitsBySymbol).process({
    state: { max: state.value<number>(), seen: state.list<number>() },
    process1(trade, ctx, out: Collector<{ symbol: string; over: number }>) {
      const _trade: Expect<Equals<typeof trade, Trade>> = true;
      const _key: Expect<Equals<typeof ctx.key, string>> = true;
      const _max: Expect<Equals<typeof ctx.state.max, ValueState<number | undefined>>> = true;
      const _seen: Expect<Equals<typeof ctx.state.seen, ListState<number>>> = true;
      const max = ctx.state.max.value();
      if (max !== undefined && trade.price > max) {
        out.collect({ symbol: ctx.key, over: trade.price - max });
        ctx.output(high, trade);
      }
      ctx.timers.registerEventTime(ctx.timestamp + 1000);
    },
    process2(limit, ctx) {
      const _limit: Expect<Equals<typeof limit, Limit>> = true;
      ctx.state.max.update(limit.max);
    },
    onTimer(time, ctx, out) {
      const _domain: Expect<Equals<typeof ctx.domain, 'event' | 'processing'>> = true;
      out.collect({ symbol: ctx.key, over: time * 0 });
    },
  });
  const _checked: Expect<Equals<typeof checked, DataStream<{ symbol: string; over: number }>>> = true;
  // Without state declarations the states are none.
  bySymbol.connect(limitsBySymbol).process({
    process1(_t, ctx, _out: Collector<never>) {
      const _state: Expect<Equals<typeof ctx.state, {}>> = true;
    },
    process2() {},
  });

  // Co-process of streams that are not keyed: no key, no keyed state, no timers; operator state per subtask.
  const tagged = trades.connect(limits).process({
    process1(trade, ctx, out: Collector<string>) {
      const buffer = ctx.operatorState.list<Trade>('buffer');
      const _buffer: Expect<Equals<typeof buffer, ListState<Trade>>> = true;
      buffer.add(trade);
      out.collect(trade.symbol);
    },
    process2(limit, _ctx, out) {
      out.collect(limit.symbol);
    },
  });
  const _tagged: Expect<Equals<typeof tagged, DataStream<string>>> = true;
  trades.connect(limits).process({
    process1(_t, ctx) {
      // @ts-expect-error streams that are not keyed have no timers
      ctx.timers.registerEventTime(0);
    },
    process2() {},
  });

  // broadcast(): without descriptors a partitioning, with descriptors a broadcast stream.
  const maxima = new BroadcastStateDescriptor<string, number>('maxima');
  const plain = limits.broadcast();
  const _plain: Expect<Equals<typeof plain, PartitionedStream<Limit>>> = true;
  const rules = limits.broadcast(maxima);
  const _rules: Expect<Equals<typeof rules, BroadcastStream<Limit>>> = true;
  const pattern = bySymbol.connect(rules);
  const _pattern: Expect<Equals<typeof pattern, KeyedBroadcastConnectedStreams<Trade, Limit, string>>> = true;
  const unkeyedPattern = trades.connect(rules);
  const _unkeyedPattern: Expect<Equals<typeof unkeyedPattern, BroadcastConnectedStreams<Trade, Limit>>> = true;

  // The broadcast side writes the maps typed by their descriptor; the keyed side reads them only.
  const alerts = pattern.process({
    state: { last: state.value(0) },
    processBroadcastElement(limit, ctx) {
      const _limit: Expect<Equals<typeof limit, Limit>> = true;
      const map = ctx.broadcastState(maxima);
      const _map: Expect<Equals<typeof map, MapState<string, number>>> = true;
      map.put(limit.symbol, limit.max);
      ctx.applyToKeyedState((symbol, s) => {
        const _symbol: Expect<Equals<typeof symbol, string>> = true;
        s.last.update(0);
      });
    },
    processElement(trade, ctx, out: Collector<string>) {
      const map = ctx.broadcastState(maxima);
      const _map: Expect<Equals<typeof map, ReadOnlyBroadcastState<string, number>>> = true;
      // @ts-expect-error the keyed side cannot write broadcast state
      map.put(trade.symbol, 1);
      ctx.state.last.update(trade.price);
      if (trade.price > (map.get(ctx.key) ?? Infinity)) out.collect(ctx.key);
    },
    onTimer(_time, ctx) {
      // @ts-expect-error nor can a timer
      ctx.broadcastState(maxima).remove('A');
    },
  });
  const _alerts: Expect<Equals<typeof alerts, DataStream<string>>> = true;
  const passed = unkeyedPattern.process({
    processBroadcastElement(limit, ctx) {
      ctx.broadcastState(maxima).put(limit.symbol, limit.max);
      // @ts-expect-error no keys on a stream that is not keyed
      ctx.applyToKeyedState(() => {});
    },
    processElement(trade, ctx, out: Collector<Trade>) {
      if (ctx.broadcastState(maxima).has(trade.symbol)) out.collect(trade);
    },
  });
  const _passed: Expect<Equals<typeof passed, DataStream<Trade>>> = true;

  const _mistakes = () => {
    // @ts-expect-error a broadcast map's value type follows its descriptor
    pattern.process({ processBroadcastElement: (l, ctx) => ctx.broadcastState(maxima).put(l.symbol, 'high'), processElement() {} });
    // @ts-expect-error broadcast() takes descriptors of broadcast state
    limits.broadcast('maxima');
  };

  checked.to(sinks.collect('checked'));
  checked.sideOutput(high).to(sinks.discard());
  tagged.to(sinks.discard());
  plain.map((l) => l).to(sinks.discard());
  alerts.to(sinks.collect('alerts'));
  passed.to(sinks.discard());
});
