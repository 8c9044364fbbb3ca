/**
 * Late data, whatever the disorder: a record late for every window it belongs to goes to the late
 * side output (exactly those records, with their own timestamps) and is counted; every other
 * record is in the results (nothing lost); a record within the allowed lateness fires its window
 * again with the updated result. And a run cut by a snapshot through JSON emits what a straight
 * run emits.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { windowOperator } from '../actors/window-operator.ts';
import { OutputTag } from '../lib/operator/output-tag.ts';
import { windows } from '../lib/window/assigners.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { anyDisorder, drive, FN_KINDS, KEYS, lines, play, recordsOf, referenceValue, windowFn, type FnKind, type Out, type Rec, type Step } from './fixtures/window-scenarios.ts';

const late = new OutputTag<Rec>('late');

/** Tumbling when slide = size: every record is in a window (slide ≤ size), so every record is either in a result or late. */
const windowsOf = (size: number, slide: number) => (r: Rec): TimeWindow[] => {
  const out: TimeWindow[] = [];
  for (let start = Math.floor(r.ts / slide) * slide; start > r.ts - size; start -= slide) out.push({ start, end: start + size });
  return out;
};

/**
 * A plain simulation of the semantics: a window takes records until the watermark reaches
 * maxTimestamp + lateness; it fires when the watermark reaches maxTimestamp, and once more for
 * every record it takes after that. A record no window takes is late.
 */
function simulate(kind: FnKind, steps: readonly Step[], windowsOf: (r: Rec) => TimeWindow[], lateness: number) {
  let watermark = -Infinity;
  const held = new Map<string, number[]>();
  const fired = new Map<string, (string | number)[]>();
  const lateIds: number[] = [];
  const fire = (id: string) => fired.set(id, [...(fired.get(id) ?? []), referenceValue(kind, held.get(id)!)]);
  for (const step of [...steps, { watermark: Infinity }]) {
    if ('watermark' in step) {
      if (step.watermark <= watermark) continue;
      for (const id of held.keys()) {
        const maxTimestamp = Number(id.split(' ')[2]) - 1;
        if (watermark < maxTimestamp && maxTimestamp <= step.watermark) fire(id);
      }
      watermark = step.watermark;
      continue;
    }
    const r = step.record;
    const open = windowsOf(r).filter((w) => w.end - 1 + lateness > watermark);
    if (open.length === 0) lateIds.push(r.id);
    for (const w of open) {
      const id = `${r.k} ${w.start} ${w.end}`;
      held.set(id, [...(held.get(id) ?? []), r.v]);
      if (w.end - 1 <= watermark) fire(id);
    }
  }
  return { fired, lateIds };
}

/** The operator's results per window, in emission order. */
function firedPerWindow(emitted: readonly { record: Out; timestamp: number }[]) {
  const fired = new Map<string, (string | number)[]>();
  for (const { record: o, timestamp } of emitted) {
    const id = `${o.key} ${o.start} ${o.end}`;
    assert.is(timestamp, o.end - 1, 'expected every firing, re-firings included, stamped with the window\'s maxTimestamp');
    fired.set(id, [...(fired.get(id) ?? []), o.value]);
  }
  return fired;
}

const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const Late = suite('late data: exactly the records too late for every window, counted, and re-firings within lateness');

for (const kind of FN_KINDS) {
  Late(`tumbling and sliding windows with random lateness and any disorder, ${kind}`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 40 }), anyDisorder(0, 120), (size, slideWanted, lateness, steps) => {
        const slide = Math.min(size, slideWanted);
        const run = drive(windowOperator({ assigner: windows.sliding({ size, slide }), allowedLateness: lateness, lateTag: late, fn: windowFn(kind) }), steps);
        const expected = simulate(kind, steps, windowsOf(size, slide), lateness);
        assert.equal(sorted(firedPerWindow(run.emitted)), sorted(expected.fired), 'expected every window to fire (and re-fire) as the simulation says');
        const lateOut = run.sideOutput(late);
        assert.equal(lateOut.map((e) => e.record.id), expected.lateIds, 'expected exactly the late records, in arrival order');
        for (const e of lateOut) assert.is(e.timestamp, e.record.ts, 'expected a late record to keep its own timestamp');
        assert.is(run.counters.lateRecords ?? 0, expected.lateIds.length, 'expected every late record counted');
        assert.equal(run.keys(), [], 'expected no state left');
      }),
      { numRuns: 200 },
    );
  });
}

Late('nothing is lost: every record is in a final result or in the late output, never both', () => {
  const ids = {
    kind: 'process' as const,
    process: (key: string, _w: TimeWindow, records: readonly Rec[], out: { collect(o: { key: string; ids: number[] }): void }) =>
      out.collect({ key, ids: records.map((r) => r.id) }),
  };
  /**
   * The final results: a firing is superseded by a later one of its key holding all its records
   * (the window fired again within the lateness, or merged into a larger session). A session
   * started after an older one was cleaned up does not hold the older one's records.
   */
  const finals = (emitted: readonly { record: { key: string; ids: number[] } }[]) =>
    emitted.filter(({ record: e }, i) => !emitted.slice(i + 1).some(({ record: later }) => later.key === e.key && e.ids.every((id) => later.ids.includes(id))));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), anyDisorder(0, 120), (size, lateness, session, steps) => {
      const assigner = session ? windows.session({ gapOf: (r: Rec) => r.gap }) : windows.tumbling(size);
      const run = drive(windowOperator({ assigner, allowedLateness: lateness, lateTag: late, fn: ids }), steps);
      const inResults = finals(run.emitted).flatMap((e) => e.record.ids).sort((a, b) => a - b);
      const lateIds = run.sideOutput(late).map((e) => e.record.id);
      assert.equal(new Set(inResults).size, inResults.length, 'expected each record in one window\'s final result only');
      assert.equal([...inResults, ...lateIds].sort((a, b) => a - b), recordsOf(steps).map((r) => r.id).sort((a, b) => a - b), 'expected on-time + late = input');
      assert.is(run.counters.lateRecords ?? 0, lateIds.length);
    }),
    { numRuns: 300 },
  );
});

const Cases = suite('late data: cases');

const rec = (id: number, ts: number, k = 'a'): Rec => ({ id, k, v: id, ts, gap: 10 });

Cases('a record within the lateness fires its window again at once, with the update, stamped maxTimestamp; after that it is late', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.tumbling(10), allowedLateness: 5, lateTag: late, fn: windowFn('process') }));
  run.record('a', rec(1, 3), 3);
  run.watermark(9);
  run.record('a', rec(2, 4), 4);
  assert.equal(lines(run.emitted), ['a [0,10) 1 @9', 'a [0,10) 1,2 @9']);
  run.watermark(13);
  run.record('a', rec(3, 5), 5);
  assert.equal(lines(run.emitted), ['a [0,10) 1 @9', 'a [0,10) 1,2 @9', 'a [0,10) 1,2,3 @9']);
  run.watermark(14);
  assert.equal(run.keys(), [], 'expected the window gone at maxTimestamp + lateness');
  run.record('a', rec(4, 6), 6);
  assert.equal(run.sideOutput(late), [{ record: rec(4, 6), timestamp: 6 }]);
  assert.equal(run.counters, { lateRecords: 1 });
});

Cases('without a late tag, late records are still counted', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.tumbling(10), fn: windowFn('reduce') }));
  run.watermark(100);
  run.record('a', rec(1, 3), 3);
  run.end();
  assert.equal(run.emitted, []);
  assert.equal(run.counters, { lateRecords: 1 });
});

Cases('a record within the lateness joins fired sessions it bridges: the merged session fires again with all of them', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.session(10), allowedLateness: 30, lateTag: late, fn: windowFn('process') }));
  run.record('a', rec(1, 0), 0);
  run.record('a', rec(2, 15), 15);
  run.watermark(30);
  assert.equal(lines(run.emitted), ['a [0,10) 1 @9', 'a [15,25) 2 @24']);
  run.record('a', rec(3, 8), 8);
  assert.equal(lines(run.emitted), ['a [0,10) 1 @9', 'a [0,25) 1,2,3 @24', 'a [15,25) 2 @24']);
  run.watermark(55);
  run.record('a', rec(4, 10), 10); // its own window [10, 20) is past 19 + 30 ≤ 55, and the session is gone
  assert.equal(run.sideOutput(late).map((e) => e.record.id), [4]);
  run.end();
  assert.equal(run.keys(), []);
});

Cases('a timer two windows of a key need survives when one of them merges away', () => {
  // Session [0, 10) is cleaned up at 9 + 20 = 29, the time session [20, 30) fires at: one timer of the key, needed twice.
  const run = new WindowHarness(windowOperator({ assigner: windows.session(10), allowedLateness: 20, fn: windowFn('process') }));
  run.record('a', rec(1, 0), 0);
  run.record('a', rec(2, 20), 20);
  run.record('a', rec(3, 5), 5); // merges [0, 10) into [0, 15): its timers at 9 and 29 go, but 29 must stay for [20, 30)
  run.watermark(29);
  assert.equal(lines(run.emitted), ['a [0,15) 1,3 @14', 'a [20,30) 2 @29']);
  run.end();
  assert.equal(run.keys(), []);
});

const Snapshot = suite('snapshots: a run cut by a snapshot through JSON emits what a straight run emits');

Snapshot('random windows, lateness and disorder, cut anywhere and restored into a new operator', () => {
  fc.assert(
    fc.property(fc.constantFrom('tumbling', 'sliding', 'session'), fc.constantFrom(...FN_KINDS), fc.integer({ min: 0, max: 20 }), anyDisorder(0, 120), fc.nat(), (shape, kind, lateness, steps, cut) => {
      const assigner = shape === 'tumbling' ? windows.tumbling(10) : shape === 'sliding' ? windows.sliding({ size: 20, slide: 5 }) : windows.session({ gapOf: (r: Rec) => r.gap });
      const factory = windowOperator({ assigner, allowedLateness: lateness, lateTag: late, fn: windowFn(kind) });
      const straight = drive(factory, steps);
      const at = steps.length === 0 ? 0 : cut % (steps.length + 1);
      const first = drive(factory, steps.slice(0, at), false);
      const second = new WindowHarness(factory, { restore: first.snapshot() });
      play(second, steps.slice(at));
      second.end();
      // Per key: timers of different keys due at one time may fire in another order after a restore.
      const byKey = <E>(es: readonly E[], key: (e: E) => string) => KEYS.map((k) => es.filter((e) => key(e) === k));
      assert.equal(byKey([...first.emitted, ...second.emitted], (e) => e.record.key), byKey(straight.emitted, (e) => e.record.key));
      assert.equal([...first.sideOutput(late), ...second.sideOutput(late)], straight.sideOutput(late));
      assert.equal((first.counters.lateRecords ?? 0) + (second.counters.lateRecords ?? 0), straight.counters.lateRecords ?? 0);
    }),
    { numRuns: 300 },
  );
});

Late.run();
Cases.run();
Snapshot.run();
