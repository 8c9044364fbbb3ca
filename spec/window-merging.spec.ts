/**
 * Session merging: adding windows one by one, in any order, ends with the sessions that sorting
 * all records and splitting them at silences gives. The semantics: windows `[t, t + gap)` merge
 * when they share a millisecond, so records less than `gap` apart share a session and a
 * difference of `gap` or more splits; windows that only touch stay apart.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mergeWindow, mergedIntoItself, overlaps } from '../lib/window/merging.ts';
import type { TimeWindow } from '../lib/window/windows.ts';

/** Folds windows into sessions in the given order, checking each step's invariants; the final sessions, by start. */
function sessionsOf(windows: readonly TimeWindow[]): TimeWindow[] {
  let sessions: TimeWindow[] = [];
  for (const added of windows) {
    const { window, merged } = mergeWindow(sessions, added);
    for (const m of merged) assert.ok(overlaps(m, added), `expected only sessions overlapping [${added.start}, ${added.end}) merged`);
    assert.ok(window.start <= added.start && added.end <= window.end, 'expected the result to hold the added window');
    sessions = [...sessions.filter((s) => !merged.includes(s)), window];
    const sorted = [...sessions].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.end <= sorted[i]!.start, 'expected the sessions pairwise disjoint after every step');
  }
  return sessions.sort((a, b) => a.start - b.start);
}

/** One gap: sort the timestamps, split where the next is gap or more after the previous. */
function splitAtSilences(timestamps: readonly number[], gap: number): TimeWindow[] {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const out: TimeWindow[] = [];
  let first = sorted[0]!;
  for (let i = 1; i <= sorted.length; i++) {
    if (i === sorted.length || sorted[i]! - sorted[i - 1]! >= gap) {
      out.push({ start: first, end: sorted[i - 1]! + gap });
      first = sorted[i]!;
    }
  }
  return out;
}

/** Gaps per record: sort the windows by start, extend the current session while the next starts before its end. */
function sweep(windows: readonly TimeWindow[]): TimeWindow[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  const out: TimeWindow[] = [];
  let current = { ...sorted[0]! };
  for (const w of sorted.slice(1)) {
    if (w.start < current.end) current.end = Math.max(current.end, w.end);
    else {
      out.push(current);
      current = { ...w };
    }
  }
  out.push(current);
  return out;
}

/** An array and a permutation of it (its arrival order). */
const shuffled = <T>(items: fc.Arbitrary<T[]>) =>
  items.chain((xs) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }).map((order) => ({ xs, order })));

const Examples = suite('session merging: cases');

Examples('a record between two sessions, arriving after both exist, bridges them into one', () => {
  const sessions = [
    { start: 0, end: 10 },
    { start: 20, end: 30 },
  ];
  assert.equal(mergeWindow(sessions, { start: 8, end: 22 }), { window: { start: 0, end: 30 }, merged: sessions });
  assert.equal(mergeWindow([...sessions].reverse(), { start: 8, end: 22 }).merged, sessions, 'expected the merged sessions earliest first');
});

Examples('windows that only touch stay apart: a record gap ms after the last starts a new session', () => {
  assert.equal(mergeWindow([{ start: 0, end: 5 }], { start: 5, end: 10 }), { window: { start: 5, end: 10 }, merged: [] });
  assert.equal(mergeWindow([{ start: 5, end: 10 }], { start: 0, end: 5 }), { window: { start: 0, end: 5 }, merged: [] });
  assert.equal(splitAtSilences([0, 5], 5), [
    { start: 0, end: 5 },
    { start: 5, end: 10 },
  ]);
  assert.equal(sessionsOf([{ start: 0, end: 5 }, { start: 4, end: 9 }]), [{ start: 0, end: 9 }], 'expected 4 ms apart with a gap of 5 to share a session');
});

Examples('a window inside an existing session changes nothing, and says so', () => {
  const merge = mergeWindow([{ start: 0, end: 10 }], { start: 3, end: 8 });
  assert.equal(merge, { window: { start: 0, end: 10 }, merged: [{ start: 0, end: 10 }] });
  assert.ok(mergedIntoItself(merge));
  assert.not.ok(mergedIntoItself(mergeWindow([{ start: 0, end: 10 }], { start: 3, end: 12 })));
  assert.not.ok(mergedIntoItself(mergeWindow([], { start: 3, end: 12 })));
});

Examples('a long window can swallow several sessions at once, and a later record extends the result', () => {
  const sessions = sessionsOf([
    { start: 0, end: 2 },
    { start: 5, end: 7 },
    { start: 10, end: 12 },
    { start: 1, end: 11 },
    { start: 11, end: 20 },
  ]);
  assert.equal(sessions, [{ start: 0, end: 20 }]);
});

const Property = suite('session merging: properties');

Property('one gap: the sessions equal sort-and-split, whatever the arrival order', () => {
  fc.assert(
    fc.property(shuffled(fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 1, maxLength: 40 })), fc.integer({ min: 1, max: 30 }), ({ xs, order }, gap) => {
      const expected = splitAtSilences(xs, gap);
      assert.equal(sessionsOf(order.map((t) => ({ start: t, end: t + gap }))), expected);
      assert.equal(sessionsOf(xs.map((t) => ({ start: t, end: t + gap }))), expected, 'expected the same sessions in the generated order');
    }),
    { numRuns: 1000 },
  );
});

Property('a gap per record: the sessions equal a sweep over the windows sorted by start, whatever the arrival order', () => {
  const windows = fc.array(
    fc.record({ t: fc.integer({ min: -100, max: 100 }), gap: fc.integer({ min: 1, max: 40 }) }).map(({ t, gap }) => ({ start: t, end: t + gap })),
    { minLength: 1, maxLength: 30 },
  );
  fc.assert(
    fc.property(shuffled(windows), ({ xs, order }) => {
      assert.equal(sessionsOf(order), sweep(xs));
    }),
    { numRuns: 1000 },
  );
});

Property('records that arrive last, between sessions that already exist, merge exactly the sessions they reach', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 2, maxLength: 20 }),
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 25 }),
      (early, bridges, gap) => {
        const before = sessionsOf(early.map((t) => ({ start: t, end: t + gap })));
        let sessions = before;
        for (const t of bridges) {
          const added = { start: t, end: t + gap };
          const { merged } = mergeWindow(sessions, added);
          assert.equal(merged, sessions.filter((s) => overlaps(s, added)), 'expected every session the bridge overlaps merged, and no other');
          sessions = sessionsOf([...sessions, added]);
        }
        assert.equal(sessions, splitAtSilences([...early, ...bridges], gap));
      },
    ),
    { numRuns: 500 },
  );
});

Examples.run();
Property.run();
