/**
 * Type-level assertions about event time, windows, side outputs and connected streams: checked by
 * `npm run typecheck`, never run as a test (see api-types.ts for the conventions).
 */
import {
  job,
  OutputTag,
  sinks,
  sources,
  triggers,
  windows,
  type AllWindowedStream,
  type Collector,
  type CountWindow,
  type DataStream,
  type GlobalWindow,
  type KeyedConnectedStreams,
  type SideOutputStream,
  type TimeWindow,
  type WindowedStream,
} from 'weir';
import type { Equals, Expect } from './api-types.ts';

interface Trade {
  symbol: string;
  price: number;
  ts: number;
}

interface Quote {
  symbol: string;
  bid: number;
}

export const eventTimeTyped = job('event-time-types', (env) => {
  const trades = env.from(sources.fromArray<Trade>([{ symbol: 'A', price: 1, ts: 0 }])).withTimestamps((t) => t.ts, { maxOutOfOrderMs: 500 });
  const _trades: Expect<Equals<typeof trades, DataStream<Trade>>> = true;
  const bySymbol = trades.keyBy((t) => t.symbol);

  // The window type follows the assigner: time windows, count windows, the global window.
  const tumbling = bySymbol.window(windows.tumbling({ seconds: 1 }));
  const _tumbling: Expect<Equals<typeof tumbling, WindowedStream<Trade, string, TimeWindow>>> = true;
  const counted = bySymbol.window(windows.countTumbling(10));
  const _counted: Expect<Equals<typeof counted, WindowedStream<Trade, string, CountWindow>>> = true;
  const global = bySymbol.window(windows.global()).trigger(triggers.count(5));
  const _global: Expect<Equals<typeof global, WindowedStream<Trade, string, GlobalWindow>>> = true;

  // aggregate: the accumulator from create, the key and window typed in result.
  const candles = tumbling.aggregate({
    create: () => ({ high: -Infinity, n: 0 }),
    add: (c, t) => ({ high: Math.max(c.high, t.price), n: c.n + 1 }),
    result: (c, symbol, w) => {
      const _symbol: Expect<Equals<typeof symbol, string>> = true;
      const _w: Expect<Equals<typeof w, TimeWindow>> = true;
      return { symbol, start: w.start, high: c.high };
    },
  });
  const _candles: Expect<Equals<typeof candles, DataStream<{ symbol: string; start: number; high: number }>>> = true;

  // reduce keeps the record type, or a window function makes another one.
  const top = tumbling.reduce((a, b) => (b.price > a.price ? b : a));
  const _top: Expect<Equals<typeof top, DataStream<Trade>>> = true;
  const topPrice = tumbling.reduce(
    (a, b) => (b.price > a.price ? b : a),
    (t, { key, window }) => ({ key, end: window.end, price: t.price }),
  );
  const _topPrice: Expect<Equals<typeof topPrice, DataStream<{ key: string; end: number; price: number }>>> = true;

  // process: the output type from out.
  const sessions = bySymbol.window(windows.session({ minutes: 5 })).process((symbol, w, ts, out: Collector<{ symbol: string; n: number }>) => {
    const _records: Expect<Equals<typeof ts, readonly Trade[]>> = true;
    out.collect({ symbol, n: ts.length + w.start * 0 });
  });
  const _sessions: Expect<Equals<typeof sessions, DataStream<{ symbol: string; n: number }>>> = true;

  // Late data: the tag carries the record type to the side output.
  const late = new OutputTag<Trade>('late');
  const withLate = tumbling.allowedLateness({ seconds: 5 }).sideOutputLateData(late).aggregate({ create: () => 0, add: (n) => n + 1, result: (n) => n });
  const lateTrades = withLate.sideOutput(late);
  const _lateTrades: Expect<Equals<typeof lateTrades, SideOutputStream<Trade>>> = true;
  // @ts-expect-error the late output holds the windowed records' type
  tumbling.sideOutputLateData(new OutputTag<Quote>('quotes'));

  // windowAll: no key in the functions.
  const all = trades.windowAll(windows.tumbling({ minutes: 1 }));
  const _all: Expect<Equals<typeof all, AllWindowedStream<Trade, TimeWindow>>> = true;
  const perMinute = all.aggregate({ create: () => 0, add: (n) => n + 1, result: (n, w) => ({ start: w.start, n }) });
  const _perMinute: Expect<Equals<typeof perMinute, DataStream<{ start: number; n: number }>>> = true;

  // Connected keyed streams keep both record types and the key type.
  const quotes = env.from(sources.fromArray<Quote>([])).keyBy((q) => q.symbol);
  const connected = bySymbol.connect(quotes);
  const _connected: Expect<Equals<typeof connected, KeyedConnectedStreams<Trade, Quote, string>>> = true;
  const spreads = connected.transform<number>('spread', () => ({
    process1(t, out) {
      const _t: Expect<Equals<typeof t, Trade>> = true;
      out.collect(t.price);
    },
    process2(q, out) {
      const _q: Expect<Equals<typeof q, Quote>> = true;
      out.collect(q.bid);
    },
  }));
  const _spreads: Expect<Equals<typeof spreads, DataStream<number>>> = true;
  // @ts-expect-error connected keyed streams share one key type
  bySymbol.connect(env.from(sources.fromArray<Quote>([])).keyBy((q) => q.bid));

  const _mistakes = () => {
    // @ts-expect-error timestamps are numbers of milliseconds
    env.from(sources.fromArray<Trade>([])).withTimestamps((t) => t.symbol);
    // @ts-expect-error an aggregate's result gets the key of the keyBy
    tumbling.aggregate({ create: () => 0, add: (n: number) => n + 1, result: (n: number, k: number) => n + k });
  };

  candles.to(sinks.collect('candles'));
  lateTrades.to(sinks.collect('late'));
  sessions.to(sinks.discard());
  perMinute.to(sinks.discard());
  spreads.to(sinks.discard());
  top.to(sinks.discard());
  topPrice.to(sinks.discard());
  global.reduce((a) => a).to(sinks.discard());
  counted.reduce((a) => a).to(sinks.discard());
});
