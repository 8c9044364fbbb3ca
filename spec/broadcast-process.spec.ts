/**
 * The broadcast process and co-process functions driven as the runtime drives them, in one
 * subtask (the runtime's own keyed context, backend and timer queues, a manual clock): the
 * broadcast-state scenario equals its reference under every interleaving of its two inputs; the
 * other input reads broadcast state only; misuse is refused with errors that name the call.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { broadcastProcessOperator, keyedBroadcastProcessOperator } from '../actors/broadcast-process.ts';
import { keyedCoProcessOperator } from '../actors/keyed-co-process.ts';
import { buildGraph, job } from '../lib/api/job.ts';
import { BroadcastStateDescriptor, sinks, sources, state, WeirError, type Collector, type MapState } from '../lib/index.ts';
import type { Operator, OperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { OperatorStore, type OperatorStoreSnapshot } from '../lib/state/operator-state-store.ts';
import { expected, rules, trades } from './fixtures/broadcast-reference.ts';
import { limitAlerts, receivedState, versionsState, type Out, type Params, type Rule, type Trade } from './fixtures/broadcast-rules.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { assertSameMultiset } from './helpers.ts';
import { refusal } from './refusal.ts';

/** A record of either input, as the harness (a one-input driver) carries it. */
type Tagged<A, B> = { readonly input: 0; readonly record: A } | { readonly input: 1; readonly record: B };

/** A two-input operator as a one-input one on tagged records: what the runtime's stage does by the input a batch came by. */
const tagged =
  <A, B, O, C extends OperatorContext>(factory: TwoInputOperatorFactory<A, B, O, C>) =>
  (): Operator<Tagged<A, B>, O, C> => {
    const op = factory();
    return {
      open: (ctx) => op.open?.(ctx),
      process: (r, out) => (r.input === 0 ? op.process1(r.record, out) : op.process2(r.record, out)),
      onTimer: (time, domain, out) => op.onTimer?.(time, domain, out),
    };
  };

/** The error `fn` throws. */
function thrown(fn: () => unknown): WeirError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, WeirError);
    return error as WeirError;
  }
  throw new assert.Assertion({ message: 'expected a throw', operator: 'throws', actual: 'returned', expects: 'an error' });
}

const Pattern = suite('broadcast process function: every interleaving of rules and keyed records');

Pattern('one subtask fed the two inputs in any interleaving, with the watermark each allows, gives the reference; its broadcast state round-trips as JSON', () => {
  fc.assert(
    fc.property(rules, trades, fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), (rs, ts, picks) => {
      const processingAt = 1_000;
      const params: Params = { rules: rs, trades: ts, maxOutOfOrderMs: 20, parallelism: 1, processingAt };
      const definition = limitAlerts(processingAt) as unknown as Parameters<typeof keyedBroadcastProcessOperator<Trade, Rule, string, {}, Out>>[0];
      const h = new WindowHarness<Tagged<Trade, Rule>, Out, Key>(tagged(keyedBroadcastProcessOperator(definition, [versionsState, receivedState] as never)));
      // Each input's watermark as bounded out-of-orderness makes it (+Infinity once the input ended); the operator's is the lower.
      const max = [-Infinity, -Infinity];
      const left = [ts.slice(), rs.slice()] as const;
      const watermarkOf = (input: 0 | 1) => (left[input].length === 0 ? Infinity : max[input]! - 20 - 1);
      for (let step = 0; left[0].length + left[1].length > 0; step++) {
        const input: 0 | 1 = left[1].length === 0 || (left[0].length > 0 && picks[step % picks.length]) ? 0 : 1;
        if (input === 0) {
          const trade = left[0].shift()!;
          max[0] = Math.max(max[0]!, trade.ts);
          h.record(trade.symbol, { input: 0, record: trade }, trade.ts);
        } else {
          const rule = left[1].shift()!;
          max[1] = Math.max(max[1]!, rule.ts);
          h.record(0, { input: 1, record: rule }, rule.ts);
        }
        h.watermark(Math.min(watermarkOf(0), watermarkOf(1)));
      }
      h.end();
      h.processingTime(processingAt);
      assertSameMultiset(
        h.emitted.map((e) => e.record),
        expected(params),
        'the output of one subtask',
      );
      const snapshot = JSON.parse(JSON.stringify((h.context.operatorState as OperatorStore).snapshot())) as OperatorStoreSnapshot;
      const restored = new OperatorStore();
      restored.restore(snapshot);
      // The fixture's descriptors come from the built weir (a job module imports 'weir'); the store reads them by name.
      const versions = restored.broadcast(new BroadcastStateDescriptor<string, Rule>(versionsState.name));
      const received = restored.broadcast(new BroadcastStateDescriptor<string, number>(receivedState.name));
      const kept = rs.filter((r) => !rs.some((o) => o.id === r.id && o.ts === r.ts && o.seq > r.seq)).map((r) => `${r.id}@${r.ts}@${r.seq}`);
      assert.equal([...versions.keys()].sort(), kept.sort(), 'the restored rule versions');
      assert.is([...received.values()].reduce((n, w) => n + w, 0), rs.reduce((n, r) => n + r.weight, 0), 'the restored weights');
    }),
    { numRuns: 200 },
  );
});

Pattern.run();

const limits = new BroadcastStateDescriptor<string, number>('limits');

const ReadOnly = suite('broadcast state is read-only where it is not the broadcast input');

/** A keyed broadcast process function whose element side (and timer) does `misuse` to the broadcast state. */
const harnessWith = (misuse: (map: MapState<string, number>) => void, where: 'element' | 'timer') =>
  new WindowHarness<Tagged<string, number>, never, Key>(
    tagged(
      keyedBroadcastProcessOperator<string, number, string, {}, never>(
        {
          processBroadcastElement(limit, ctx) {
            ctx.broadcastState(limits).put('max', limit);
          },
          processElement(_word, ctx) {
            if (where === 'element') misuse(ctx.broadcastState(limits) as unknown as MapState<string, number>);
            else ctx.timers.registerEventTime(5);
          },
          onTimer(_time, ctx) {
            misuse(ctx.broadcastState(limits) as unknown as MapState<string, number>);
          },
        },
        [limits] as never,
      ),
    ),
  );

for (const [write, misuse] of [
  ['put', (m: MapState<string, number>) => m.put('max', 1)],
  ['remove', (m: MapState<string, number>) => m.remove('max')],
  ['clear', (m: MapState<string, number>) => m.clear()],
] as const) {
  ReadOnly(`${write}() in processElement throws a state error naming the state and where to write it; the state is unchanged`, () => {
    const h = harnessWith(misuse, 'element');
    h.record(0, { input: 1, record: 7 });
    const error = thrown(() => h.record('a', { input: 0, record: 'a' }, 1));
    assert.is(error.code, 'WEIR_E_STATE');
    assert.match(error.message, new RegExp(`called ${write}\\(\\) on broadcast state "limits" in processElement, where it is read-only`));
    assert.match(error.message, /Change broadcast state in processBroadcastElement/);
    assert.equal([...(h.context.operatorState.broadcast(limits).entries())], [['max', 7]], 'expected the broadcast state as the rule left it');
  });
}

ReadOnly('onTimer of a keyed broadcast function reads broadcast state only, too', () => {
  const h = harnessWith((m) => m.put('max', 1), 'timer');
  h.record('a', { input: 0, record: 'a' }, 1);
  assert.match(thrown(() => h.watermark(10)).message, /called put\(\) on broadcast state "limits"/);
});

ReadOnly('a descriptor the broadcast stream did not name is refused, naming those it did', () => {
  const other = new BroadcastStateDescriptor<string, number>('other');
  const h = new WindowHarness<Tagged<string, number>, never, Key>(
    tagged(
      keyedBroadcastProcessOperator<string, number, string, {}, never>(
        { processBroadcastElement: (_n, ctx) => ctx.broadcastState(other).put('x', 1), processElement() {} },
        [limits] as never,
      ),
    ),
  );
  const error = thrown(() => h.record(0, { input: 1, record: 1 }));
  assert.is(error.code, 'WEIR_E_STATE');
  assert.match(error.message, /asked for broadcast state "other", but its broadcast stream names "limits"; pass every descriptor/);
});

ReadOnly('a stream that is not keyed: broadcast records write, the other records read', () => {
  const stop = new BroadcastStateDescriptor<string, true>('stop');
  const h = new WindowHarness<Tagged<string, string>, string, Key>(
    tagged(
      broadcastProcessOperator<string, string, string>(
        {
          processBroadcastElement: (word, ctx) => ctx.broadcastState(stop).put(word, true),
          processElement(word, ctx, out) {
            if (word === 'write') (ctx.broadcastState(stop) as unknown as MapState<string, true>).put(word, true);
            else if (!ctx.broadcastState(stop).has(word)) out.collect(word);
          },
        },
        [stop] as never,
      ),
    ),
  );
  h.record(0, { input: 1, record: 'the' });
  for (const word of ['the', 'cat']) h.record(0, { input: 0, record: word });
  assert.equal(h.emitted.map((e) => e.record), ['cat']);
  assert.match(thrown(() => h.record(0, { input: 0, record: 'write' })).message, /called put\(\) on broadcast state "stop" in processElement/);
});

ReadOnly.run();

const Timers = suite('keyed co-process: processing-time timers on a manual clock');

Timers('both inputs register one processing time for a key: one onTimer when the clock reaches it, with the state both wrote', () => {
  const h = new WindowHarness<Tagged<number, number>, string, Key>(
    tagged(
      keyedCoProcessOperator({
        state: { sum: state.value(0) },
        process1(n: number, ctx) {
          ctx.state.sum.update(ctx.state.sum.value() + n);
          ctx.timers.registerProcessingTime(ctx.timers.currentProcessingTime() + 100);
        },
        process2(n: number, ctx) {
          ctx.state.sum.update(ctx.state.sum.value() - n);
          ctx.timers.registerProcessingTime(100);
        },
        onTimer(time, ctx, out: Collector<string>) {
          out.collect(`${ctx.key} ${ctx.domain} ${time} ${ctx.timestamp} ${ctx.state.sum.value()}`);
        },
      }),
    ),
  );
  h.record('a', { input: 0, record: 5 });
  h.record('a', { input: 1, record: 2 });
  h.record('b', { input: 1, record: 1 });
  h.processingTime(99);
  assert.equal(h.emitted, [], 'expected no timer before its time');
  h.processingTime(150);
  assert.equal(h.emitted.map((e) => e.record), ['a processing 100 100 3', 'b processing 100 100 -1']);
});

Timers.run();

const Misuse = suite('co-process and broadcast: malformed use is refused when the graph is built');

Misuse('a broadcast process function without processElement', () => {
  const error = refusal((env) => {
    const rules = env.from(sources.fromArray([1])).broadcast(limits);
    env.from(sources.fromArray(['a'])).keyBy((w) => w).connect(rules).process({ processBroadcastElement() {} } as never);
  });
  assert.is(error.code, 'WEIR_E_GRAPH');
  assert.match(error.message, /connect\(broadcastStream\)\.process\(\): processElement must be a function/);
});

Misuse('broadcast() of something that is not a descriptor, or of two descriptors of one name', () => {
  assert.match(refusal((env) => void env.from(sources.fromArray([1])).broadcast('limits' as never)).message, /each descriptor is a new BroadcastStateDescriptor<K, V>\(name\)/);
  const twice = new BroadcastStateDescriptor<string, number>('limits');
  assert.match(refusal((env) => void env.from(sources.fromArray([1])).broadcast(limits, twice)).message, /two descriptors are named "limits"/);
});

Misuse('timers or keyed state on streams that are not keyed', () => {
  const coProcess = refusal((env) => {
    const a = env.from(sources.fromArray([1]));
    a.connect(a).process({ process1() {}, process2() {}, onTimer() {} } as never);
  });
  assert.match(coProcess.message, /connect\(\.\.\.\)\.process\(\): timers and keyed state need a key; key both streams/);
  const broadcast = refusal((env) => {
    env.from(sources.fromArray(['a'])).connect(env.from(sources.fromArray([1])).broadcast(limits)).process({ processElement() {}, processBroadcastElement() {}, state: {} } as never);
  });
  assert.match(broadcast.message, /key the stream first/);
});

Misuse('a keyed co-process function without process2', () => {
  const error = refusal((env) => {
    const a = env.from(sources.fromArray([1])).keyBy((n) => n);
    a.connect(a).process({ process1() {} } as never);
  });
  assert.match(error.message, /process2 must be a function/);
});

Misuse('a keyed stream connected to a stream that is neither keyed nor broadcast names both ways', () => {
  const error = refusal((env) => {
    const a = env.from(sources.fromArray([1]));
    a.keyBy((n) => n).connect(a as never);
  });
  assert.match(error.message, /needs another keyed stream \(call keyBy\(\) on it first\) or a broadcast stream/);
});

Misuse('broadcast() without descriptors still partitions to every subtask, and a broadcast stream builds a two-input node', () => {
  const graph = buildGraph(
    job('fine', (env) => {
      const n = env.from(sources.fromArray([1]));
      n.broadcast().map((x) => x).to(sinks.collect('plain'));
      n.keyBy((x) => x).connect(n.broadcast(limits)).process({ processElement() {}, processBroadcastElement() {} }).to(sinks.collect('pattern'));
    }),
    undefined,
  );
  const node = graph.nodes.find((x) => x.type === 'broadcastProcess')!;
  assert.ok(node, 'expected a broadcastProcess node');
  assert.equal(node.inputs.map((e) => e.partition.type), ['hash', 'broadcast']);
  assert.equal(node.describe, { state: {}, broadcast: ['limits'] });
});

Misuse.run();
