/**
 * The window operator on event time: whatever the disorder the watermark allows, it emits exactly
 * what sorting all records, grouping them by key and window and computing gives, each window once,
 * stamped with its last millisecond, in timestamp order; and it keeps nothing once the input ended.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { windowOperator } from '../actors/window-operator.ts';
import { describeWindowing, windowingFunctions } from '../actors/window-spec.ts';
import { OutputTag } from '../lib/operator/output-tag.ts';
import { WeirError } from '../lib/errors.ts';
import { windows, type WindowAssigner } from '../lib/window/assigners.ts';
import { triggers } from '../lib/window/triggers.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { boundedDisorder, drive, FN_KINDS, lines, recordsOf, referenceValue, windowFn, type FnKind, type Out, type Rec } from './fixtures/window-scenarios.ts';

/** Plain reference: every record in every window the definition gives, grouped, computed; one line per window. */
function reference(kind: FnKind, all: readonly Rec[], windowsOf: (r: Rec) => TimeWindow[]): string[] {
  const groups = new Map<string, { key: string; w: TimeWindow; values: number[] }>();
  for (const r of all) {
    for (const w of windowsOf(r)) {
      const id = `${r.k} ${w.start} ${w.end}`;
      if (!groups.has(id)) groups.set(id, { key: r.k, w, values: [] });
      groups.get(id)!.values.push(r.v);
    }
  }
  return [...groups.values()].map(({ key, w, values }) => `${key} [${w.start},${w.end}) ${referenceValue(kind, values)} @${w.end - 1}`).sort();
}

const tumblingOf = (size: number, offset: number) => (r: Rec): TimeWindow[] => {
  const start = Math.floor((r.ts - offset) / size) * size + offset;
  return [{ start, end: start + size }];
};

const slidingOf = (size: number, slide: number, offset: number) => (r: Rec): TimeWindow[] => {
  const out: TimeWindow[] = [];
  for (let k = Math.floor((r.ts - offset - size) / slide); offset + k * slide <= r.ts; k++) {
    const start = offset + k * slide;
    if (r.ts < start + size) out.push({ start, end: start + size });
  }
  return out;
};

/** Sessions, plainly: per key, windows sorted by start; a window starting before the current end joins it. */
const sessionsOf = (all: readonly Rec[], gapOf: (r: Rec) => number) => {
  const sessionOf = new Map<number, TimeWindow>();
  for (const key of new Set(all.map((r) => r.k))) {
    const mine = all.filter((r) => r.k === key).sort((a, b) => a.ts - b.ts);
    let group: Rec[] = [];
    let end = -Infinity;
    const close = () => group.forEach((r) => sessionOf.set(r.id, { start: group[0]!.ts, end }));
    for (const r of mine) {
      if (r.ts >= end && group.length > 0) {
        close();
        group = [];
      }
      group.push(r);
      end = Math.max(end, r.ts + gapOf(r));
    }
    if (group.length > 0) close();
  }
  return (r: Rec): TimeWindow[] => [sessionOf.get(r.id)!];
};

/** Runs one property: random windows of one kind, random bounded disorder, each function kind. */
function check(kind: FnKind, assigner: (p: { size: number; slide: number; offset: number; gap: number }) => WindowAssigner<Rec>, windowsOf: (p: { size: number; slide: number; offset: number; gap: number }, all: readonly Rec[]) => (r: Rec) => TimeWindow[]) {
  const params = fc.record({ size: fc.integer({ min: 1, max: 40 }), slide: fc.integer({ min: 1, max: 40 }), offset: fc.integer({ min: -50, max: 50 }), gap: fc.integer({ min: 1, max: 30 }) });
  fc.assert(
    fc.property(params, boundedDisorder(-60, 150), (p, { steps }) => {
      const run = drive(windowOperator({ assigner: assigner(p), fn: windowFn(kind) }), steps);
      const all = recordsOf(steps);
      assert.equal(lines(run.emitted), reference(kind, all, windowsOf(p, all)), 'expected the results of the plain reference');
      const times = run.emitted.map((e) => e.timestamp);
      assert.equal(times, [...times].sort((a, b) => a - b), 'expected results in timestamp order: each fired when the watermark reached it');
      assert.equal(run.side.size, 0, 'expected no late record: the watermark bounds the disorder');
      assert.equal(run.keys(), [], 'expected no state left after the final watermark');
      assert.is(run.event.size, 0, 'expected no timer left after the final watermark');
    }),
    { numRuns: 150 },
  );
}

const Property = suite('window operator, event time: results equal the plain reference whatever the disorder');

for (const kind of FN_KINDS) {
  Property(`tumbling windows, ${kind}`, () => check(kind, (p) => windows.tumbling({ size: p.size, offset: p.offset }), (p) => tumblingOf(p.size, ((p.offset % p.size) + p.size) % p.size)));
  Property(`sliding windows (gaps included), ${kind}`, () =>
    check(kind, (p) => windows.sliding({ size: p.size, slide: p.slide, offset: p.offset }), (p) => slidingOf(p.size, p.slide, ((p.offset % p.slide) + p.slide) % p.slide)));
  Property(`session windows with one gap, ${kind}`, () => check(kind, (p) => windows.session(p.gap), (p, all) => sessionsOf(all, () => p.gap)));
  Property(`session windows with a gap per record, ${kind}`, () => check(kind, () => windows.session({ gapOf: (r: Rec) => r.gap }), (_p, all) => sessionsOf(all, (r) => r.gap)));
}

const Cases = suite('window operator, event time: cases');

const sums = windowFn('reduce');

Cases('a window fires when the watermark reaches its last millisecond, not before, stamped with it', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.tumbling(10), fn: sums }));
  run.record('a', { id: 0, k: 'a', v: 3, ts: 5, gap: 1 }, 5);
  run.record('a', { id: 1, k: 'a', v: 4, ts: 9, gap: 1 }, 9);
  run.watermark(8);
  assert.equal(run.emitted, []);
  run.watermark(9);
  assert.equal(run.emitted, [{ record: { key: 'a', start: 0, end: 10, value: 7 }, timestamp: 9 }]);
  assert.equal(run.keys(), [], 'expected the window gone once fired (no allowed lateness)');
});

Cases('reduce without a window function emits the reduced value itself', () => {
  const run = new WindowHarness(windowOperator<number, number, string>({ assigner: windows.tumbling(10), fn: { kind: 'reduce', reduce: (a, b) => a + b } }));
  for (const t of [1, 2, 3, 12]) run.record('k', t, t);
  run.end();
  assert.equal(run.emitted, [
    { record: 6, timestamp: 9 },
    { record: 12, timestamp: 19 },
  ]);
});

Cases('a record that bridges two open sessions merges them: one result, and the old sessions\' timers are gone', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.session(10), fn: windowFn('process') }));
  const rec = (id: number, ts: number): Rec => ({ id, k: 'a', v: id, ts, gap: 10 });
  run.record('a', rec(1, 0), 0);
  run.record('a', rec(2, 15), 15);
  run.watermark(5);
  assert.is(run.event.size, 2, 'expected a timer per session');
  run.record('a', rec(3, 8), 8);
  assert.is(run.event.size, 1, 'expected only the merged session\'s timer');
  run.watermark(23);
  assert.equal(run.emitted, [], 'expected the first session not fired at its old end (9)');
  run.watermark(24);
  assert.equal(run.emitted, [{ record: { key: 'a', start: 0, end: 25, value: '1,2,3' }, timestamp: 24 }]);
});

Cases('a trigger\'s state follows a merge: counts of bridged sessions add up, and the merged window fires at the next record', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.session(10), trigger: triggers.count(3), fn: windowFn('process') }));
  const rec = (id: number, ts: number): Rec => ({ id, k: 'a', v: id, ts, gap: 10 });
  run.record('a', rec(1, 0), 0);
  run.record('a', rec(2, 15), 15);
  assert.equal(run.emitted, [], 'expected two sessions of one record each, below the count');
  run.record('a', rec(3, 8), 8);
  assert.equal(lines(run.emitted as { record: Out; timestamp: number }[]), ['a [0,25) 1,2,3 @24'], 'expected 1 + 1 merged, plus the bridge: 3');
  run.end();
  assert.equal(run.keys(), []);
});

Cases('the final watermark fires every window left, in time order, and leaves nothing behind', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.sliding({ size: 20, slide: 10 }), fn: sums, allowedLateness: 1_000 }));
  run.record('b', { id: 0, k: 'b', v: 1, ts: 15, gap: 1 }, 15);
  run.record('a', { id: 1, k: 'a', v: 2, ts: 5, gap: 1 }, 5);
  run.end();
  assert.equal(lines(run.emitted as { record: Out; timestamp: number }[]), ['a [-10,10) 2 @9', 'a [0,20) 2 @19', 'b [0,20) 1 @19', 'b [10,30) 1 @29']);
  assert.equal(run.keys(), []);
  assert.is(run.event.size, 0);
});

Cases('an event-time window over records without timestamps is refused, naming withTimestamps', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.tumbling(10), fn: sums }));
  assert.throws(() => run.record('a', { id: 0, k: 'a', v: 1, ts: 0, gap: 1 }), /event-time windows need records with timestamps: assign them \(withTimestamps\)/);
});

const Refusals = suite('window operator: refused when the graph is built');

const refused = (build: () => unknown, code: string, message: RegExp) => {
  try {
    build();
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.ok(e instanceof WeirError, `expected a WeirError, got ${String(e)}`);
    assert.is((e as WeirError).code, code);
    assert.match((e as WeirError).message, message);
  }
};

Refusals('session windows with an aggregation without merge', () => {
  const { merge: _, ...noMerge } = windowFn('aggregate') as { merge: unknown };
  refused(() => windowOperator({ assigner: windows.session(5), fn: noMerge as never }), 'WEIR_E_GRAPH', /window\(\)\.aggregate: session windows merge, so the aggregation needs merge\(a, b\)/);
});

Refusals('the global window without a trigger', () => {
  refused(() => windowOperator({ assigner: windows.global(), fn: sums }), 'WEIR_E_GRAPH', /windows\.global\(\) never ends, so it needs a trigger/);
});

Refusals('a count window with a trigger', () => {
  refused(() => windowOperator({ assigner: windows.countTumbling(3), trigger: triggers.count(2), fn: sums }), 'WEIR_E_GRAPH', /count windows fire by count and take no trigger/);
});

Refusals('a trigger without onMerge on session windows', () => {
  const { onMerge: _, ...noMerge } = triggers.eventTime();
  refused(() => windowOperator({ assigner: windows.session(5), trigger: noMerge, fn: sums }), 'WEIR_E_GRAPH', /their trigger needs onMerge/);
  windowOperator({ assigner: windows.session(5), trigger: triggers.count(2), fn: sums });
});

Refusals('allowed lateness or a late tag on windows that cannot be late', () => {
  refused(() => windowOperator({ assigner: windows.tumbling({ size: 5, time: 'processing' }), allowedLateness: 10, fn: sums }), 'WEIR_E_GRAPH', /a processing-time window never has late records/);
  refused(() => windowOperator({ assigner: windows.countTumbling(5), allowedLateness: 10, fn: sums }), 'WEIR_E_GRAPH', /a count window never has late records/);
});

Refusals('a negative or fractional allowed lateness', () => {
  refused(() => windowOperator({ assigner: windows.tumbling(5), allowedLateness: -1, fn: sums }), 'WEIR_E_OPTION', /allowedLateness must be a whole number of ms ≥ 0, got -1/);
  refused(() => windowOperator({ assigner: windows.tumbling(5), allowedLateness: { seconds: 0.0005 }, fn: sums }), 'WEIR_E_OPTION', /got 0\.5/);
});

const Fingerprint = suite('window operator: what the graph fingerprint sees');

Fingerprint('describeWindowing is JSON naming the assigner, trigger, lateness, late tag and function kind; windowingFunctions lists the user code', () => {
  const gapOf = (r: Rec) => r.gap;
  const trigger = triggers.count(5);
  const spec = { assigner: windows.session({ gapOf }), trigger, allowedLateness: { seconds: 1 }, lateTag: new OutputTag<Rec>('late'), fn: windowFn('aggregate') };
  const described = describeWindowing(spec);
  assert.equal(JSON.parse(JSON.stringify(described)), described);
  assert.equal(described, {
    assigner: { kind: 'session', gap: 'per-record', time: 'event' },
    trigger: { kind: 'count', n: 5 },
    allowedLateness: 1000,
    lateTag: 'late',
    fn: 'aggregate',
  });
  const fns = windowingFunctions(spec);
  for (const f of [gapOf, trigger.onElement, trigger.onMerge, ...Object.values(spec.fn).filter((v) => typeof v === 'function')]) assert.ok(fns.includes(f as Function), 'expected every user function listed');
  assert.equal(describeWindowing({ assigner: windows.tumbling({ hours: 1 }), fn: sums }), {
    assigner: { kind: 'tumbling', size: 3_600_000, offset: 0, time: 'event' },
    trigger: null,
    allowedLateness: 0,
    lateTag: null,
    fn: 'reduce',
  });
});

Property.run();
Cases.run();
Refusals.run();
Fingerprint.run();
