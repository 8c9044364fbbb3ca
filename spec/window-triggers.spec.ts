/**
 * Windows that fire by count, by a custom trigger, or by the clock: count windows emit the
 * definition's records in arrival order; the global window fires, purges and ends exactly as its
 * trigger says; processing-time windows group records by the clock at arrival and all fire.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { windowOperator } from '../actors/window-operator.ts';
import { windows } from '../lib/window/assigners.ts';
import { triggers, type Trigger } from '../lib/window/triggers.ts';
import { maxTimestamp, type TimeWindow } from '../lib/window/windows.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { boundedDisorder, drive, FN_KINDS, lines, recordsOf, referenceValue, windowFn, KEYS, type FnKind, type Out, type Rec, type Step } from './fixtures/window-scenarios.ts';

const line = (key: string, start: number, end: number, value: string | number, timestamp: number) => `${key} [${start},${end}) ${value} @${timestamp}`;
const linesInOrder = (emitted: readonly { record: Out; timestamp: number }[]) => emitted.map(({ record: o, timestamp }) => line(o.key, o.start, o.end, o.value, timestamp));

const Count = suite('count windows: the last `size` records of a key, every `slide` records, in arrival order');

/** Plain reference: per key, after its m-th record (m a multiple of slide), the records numbered [m − size, m). */
function countReference(kind: FnKind, all: readonly Rec[], size: number, slide: number): string[] {
  const seen = new Map<string, Rec[]>();
  const out: string[] = [];
  for (const r of all) {
    const mine = seen.get(r.k) ?? [];
    seen.set(r.k, mine);
    mine.push(r);
    const m = mine.length;
    if (m % slide === 0) out.push(line(r.k, Math.max(0, m - size), m, referenceValue(kind, mine.slice(Math.max(0, m - size)).map((x) => x.v)), r.ts));
  }
  return out;
}

for (const kind of FN_KINDS) {
  Count(`countTumbling and countSliding, ${kind}: exactly the reference, stamped with the record that completed each`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), boundedDisorder(0, 100), (size, slide, tumbling, { steps }) => {
        const assigner = tumbling ? windows.countTumbling(size) : windows.countSliding(size, slide);
        const run = drive(windowOperator({ assigner, fn: windowFn(kind) }), steps);
        assert.equal(linesInOrder(run.emitted), countReference(kind, recordsOf(steps), size, tumbling ? size : slide));
      }),
      { numRuns: 200 },
    );
  });
}

Count('a partial count window is not emitted at the end of the input (as Flink), and what a key keeps stays bounded', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.countSliding(3, 1), fn: windowFn('process') }));
  for (let i = 0; i < 1000; i++) run.record('a', { id: i, k: 'a', v: i, ts: i, gap: 1 }, i);
  const held = run.backend.snapshot()['0/windows']!.groups;
  const [[, keyed]] = Object.values(held).flat() as [string, { b: unknown[] }][];
  assert.ok(keyed.b.length <= 6, `expected at most 2·size records kept, found ${keyed.b.length}`);
  const tumbling = new WindowHarness(windowOperator({ assigner: windows.countTumbling(3), fn: windowFn('reduce') }));
  for (let i = 0; i < 5; i++) tumbling.record('a', { id: i, k: 'a', v: 1, ts: i, gap: 1 }, i);
  tumbling.end();
  assert.equal(linesInOrder(tumbling.emitted), ['a [0,3) 3 @2']);
});

const Global = suite('the global window fires as its trigger says');

/**
 * Fires (keeping its contents) at every k-th record, purges at a record of value −5, and fires
 * and purges at the end of the input (an event-time timer at the window's end, +Infinity).
 */
const everyKth = (k: number): Trigger<Rec, number> => ({
  describe: { kind: 'every-kth', k },
  onElement(record, _timestamp, window, ctx) {
    ctx.registerEventTimeTimer(maxTimestamp(window));
    ctx.state = (ctx.state ?? 0) + 1;
    if (record.v === -5) return 'purge';
    return ctx.state % k === 0 ? 'fire' : 'continue';
  },
  onEventTime: () => 'fire-and-purge',
});

/** Fires and purges `span` ms of event time after a batch's first record: batches by event-time deadline. */
const batches = (span: number): Trigger<Rec, number> => ({
  describe: { kind: 'batches', span },
  onElement(_record, timestamp, _window, ctx) {
    if (ctx.state === undefined) {
      ctx.state = timestamp + span;
      ctx.registerEventTimeTimer(ctx.state);
    }
    return 'continue';
  },
  onEventTime(time, _window, ctx) {
    if (time !== ctx.state) return 'continue';
    ctx.state = undefined;
    return 'fire-and-purge';
  },
});

/** The global window's lines of one key, in the order they were emitted. */
const perKey = (ls: readonly string[]) => Object.fromEntries(KEYS.map((k) => [k, ls.filter((l) => l.startsWith(`${k} `))]));

for (const kind of FN_KINDS) {
  Global(`a trigger that fires every k-th record, purges, and fires at the end, ${kind}`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), boundedDisorder(0, 100), (k, { steps }) => {
        const run = drive(windowOperator({ assigner: windows.global(), trigger: everyKth(k), fn: windowFn(kind) }), steps);
        const expected: string[] = [];
        const held = new Map<string, number[]>();
        const count = new Map<string, number>();
        for (const r of recordsOf(steps)) {
          const values = [...(held.get(r.k) ?? []), r.v];
          count.set(r.k, (count.get(r.k) ?? 0) + 1);
          held.set(r.k, r.v === -5 ? [] : values);
          if (r.v !== -5 && count.get(r.k)! % k === 0) expected.push(line(r.k, -Infinity, Infinity, referenceValue(kind, values), r.ts));
        }
        for (const [key, values] of held) if (values.length > 0) expected.push(line(key, -Infinity, Infinity, referenceValue(kind, values), Infinity));
        assert.equal(perKey(linesInOrder(run.emitted)), perKey(expected));
      }),
      { numRuns: 200 },
    );
  });

  Global(`a trigger with a deadline per batch (event-time timers, fire and purge), ${kind}`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), boundedDisorder(0, 150), (span, { steps }) => {
        const run = drive(windowOperator({ assigner: windows.global(), trigger: batches(span), fn: windowFn(kind) }), steps);
        // A plain simulation: per key a batch and its deadline; a watermark ships every batch it passed.
        const expected: string[] = [];
        const batch = new Map<string, { deadline: number; values: number[] }>();
        const ship = (watermark: number) => {
          for (const [key, b] of [...batch].sort((x, y) => x[1].deadline - y[1].deadline)) {
            if (b.deadline > watermark) continue;
            expected.push(line(key, -Infinity, Infinity, referenceValue(kind, b.values), b.deadline));
            batch.delete(key);
          }
        };
        for (const step of [...steps, { watermark: Infinity }] as Step[]) {
          if ('watermark' in step) ship(step.watermark);
          else if (batch.has(step.record.k)) batch.get(step.record.k)!.values.push(step.record.v);
          else batch.set(step.record.k, { deadline: step.record.ts + span, values: [step.record.v] });
        }
        assert.equal(perKey(linesInOrder(run.emitted)), perKey(expected));
        assert.equal(run.keys(), [], 'expected every batch gone with its trigger state');
      }),
      { numRuns: 200 },
    );
  });
}

Global('triggers.count on the global window is a count window; on time windows it fires only while records come', () => {
  const run = new WindowHarness(windowOperator({ assigner: windows.global(), trigger: triggers.count(2), fn: windowFn('aggregate') }));
  for (let i = 0; i < 5; i++) run.record('a', { id: i, k: 'a', v: i, ts: 10 * i, gap: 1 }, 10 * i);
  run.end();
  assert.equal(linesInOrder(run.emitted), ['a [-Infinity,Infinity) 2:1 @10', 'a [-Infinity,Infinity) 2:5 @30']);
  const timed = new WindowHarness(windowOperator({ assigner: windows.tumbling(100), trigger: triggers.count(2), fn: windowFn('aggregate') }));
  for (let i = 0; i < 3; i++) timed.record('a', { id: i, k: 'a', v: i, ts: 10 * i, gap: 1 }, 10 * i);
  timed.end();
  assert.equal(linesInOrder(timed.emitted), ['a [0,100) 2:1 @99']);
  assert.equal(timed.keys(), [], 'expected the leftover record cleaned up with its window');
});

const Processing = suite('processing-time windows: by the clock at arrival');

/** Steps of a processing-time run: a record arrives now, or the clock moves on. */
const clockSteps = fc.array(fc.oneof(fc.record({ k: fc.constantFrom(...KEYS), v: fc.integer({ min: 0, max: 9 }) }), fc.record({ advance: fc.integer({ min: 0, max: 30 }) })), { maxLength: 40 });

for (const kind of FN_KINDS) {
  Processing(`tumbling, sliding and session windows by the clock, ${kind}: every window fires once, by its timer or at the end`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.constantFrom('tumbling', 'sliding', 'session'), clockSteps, (size, slide, shape, steps) => {
        const assigner =
          shape === 'tumbling' ? windows.tumbling({ size, time: 'processing' }) : shape === 'sliding' ? windows.sliding({ size, slide, time: 'processing' }) : windows.session({ gap: size, time: 'processing' });
        const run = new WindowHarness(windowOperator({ assigner, fn: windowFn(kind) }), { now: 1_000 });
        const arrived: { k: string; v: number; at: number }[] = [];
        steps.forEach((step, id) => {
          if ('advance' in step) run.processingTime(run.clock.now() + step.advance);
          else {
            arrived.push({ ...step, at: run.clock.now() });
            run.record(step.k, { id, k: step.k, v: step.v, ts: NaN, gap: size }); // no event time: the clock places records
          }
        });
        const now = run.clock.now();
        run.processingTime(now); // timers that came due at the last arrival: the runtime wakes the actor for them
        const firedByTimers = run.emitted.length;
        run.end();
        const groups = new Map<string, { key: string; w: TimeWindow; values: number[] }>();
        const add = (key: string, w: TimeWindow, v: number) => {
          const id = `${key} ${w.start} ${w.end}`;
          if (!groups.has(id)) groups.set(id, { key, w, values: [] });
          groups.get(id)!.values.push(v);
        };
        for (const key of KEYS) {
          const mine = arrived.filter((a) => a.k === key);
          if (shape === 'tumbling') for (const a of mine) add(key, { start: Math.floor(a.at / size) * size, end: Math.floor(a.at / size) * size + size }, a.v);
          if (shape === 'sliding') for (const a of mine) for (let s = Math.floor(a.at / slide) * slide; s > a.at - size; s -= slide) add(key, { start: s, end: s + size }, a.v);
          if (shape === 'session') {
            let group: typeof mine = [];
            const close = () => group.forEach((a) => add(key, { start: group[0]!.at, end: group[group.length - 1]!.at + size }, a.v));
            for (const a of mine) {
              if (group.length > 0 && a.at - group[group.length - 1]!.at >= size) (close(), (group = []));
              group.push(a);
            }
            if (group.length > 0) close();
          }
        }
        const expected = [...groups.values()].map(({ key, w, values }) => line(key, w.start, w.end, referenceValue(kind, values), w.end - 1));
        assert.equal(lines(run.emitted), expected.sort());
        assert.is(firedByTimers, [...groups.values()].filter(({ w }) => w.end <= now).length, 'expected the windows the clock passed fired by their timers, the others at the end');
      }),
      { numRuns: 150 },
    );
  });
}

Count.run();
Global.run();
Processing.run();
