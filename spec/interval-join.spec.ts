/**
 * The interval join operator driven by the window harness (the runtime's own keyed context, timers
 * and state): every pair within the bounds, whatever the disorder within the watermark's bound; its
 * state emptied by timers as the watermark passes, so it stays bounded on an endless stream.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { intervalJoinOperator, type IntervalBounds } from '../actors/interval-join.ts';
import type { KeyedOperatorFactory, TwoInputOperatorFactory, KeyedOperatorContext } from '../lib/operator/operator.ts';
import { state } from '../lib/state/state-descriptors.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { assertSameMultiset, disordered } from './helpers.ts';

interface Rec {
  id: number;
  key: string;
  ts: number;
}
type Input = { input: 0 | 1; record: Rec };
type Out = [number, number, number];

/** A two-input operator as a one-input one over tagged records, as the runtime's stage hands records to process1/process2. */
function asOneInput<A, B, O>(factory: TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<string>>): KeyedOperatorFactory<{ input: 0 | 1; record: A | B }, O, string> {
  return () => {
    const op = factory();
    return {
      open: (ctx) => op.open?.(ctx),
      process: ({ input, record }, out) => (input === 0 ? op.process1(record as A, out) : op.process2(record as B, out)),
      onTimer: (time, domain, out) => op.onTimer?.(time, domain, out),
    };
  };
}

const harnessOf = (bounds: IntervalBounds) =>
  new WindowHarness<Input, Out, string>(asOneInput(intervalJoinOperator<Rec, Rec, Out, string>(bounds, (l, r, ctx, out) => out.collect([l.id, r.id, ctx.timestamp]))));

/** What the operator keeps: keys and buffered records, read through the operator's own state. */
function held(h: WindowHarness<Input, Out, string>): { keys: number; entries: number } {
  const buffers = h.context.keyedState('intervalJoin', state.value<{ l: unknown[]; r: unknown[] }>());
  let keys = 0;
  let entries = 0;
  for (const _key of h.context.keys()) {
    const b = buffers.value();
    if (b === undefined) continue;
    keys++;
    entries += b.l.length + b.r.length;
  }
  return { keys, entries };
}

const bounds = (lower: number, upper: number, lowerExclusive = false, upperExclusive = false): IntervalBounds => ({ lower, upper, lowerExclusive, upperExclusive });

const Interval = suite('interval join operator');

Interval('every same-key pair within the bounds, once, stamped with the later time; nothing kept after the final watermark', () => {
  const D = 6;
  fc.assert(
    fc.property(
      // Delays at the bound are common: those records come just after the watermark, where an early cleanup would lose pairs.
      fc.array(fc.record({ input: fc.constantFrom<0 | 1>(0, 1), key: fc.constantFrom('x', 'x', 'y'), step: fc.integer({ min: 0, max: 2 }), jitter: fc.oneof(fc.constantFrom(0, D), fc.integer({ min: 0, max: D })) }), { maxLength: 60 }),
      fc.integer({ min: -5, max: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.boolean(),
      fc.boolean(),
      (rows, lower, width, lowerExclusive, upperExclusive) => {
        let t = 0;
        const records = disordered(
          rows.map((r, id) => ({ input: r.input, rec: { id, key: r.key, ts: (t += r.step) }, arrival: t + r.jitter })),
          (r) => r.arrival,
        );
        const b = bounds(lower, lower + width, lowerExclusive, upperExclusive);
        const h = harnessOf(b);
        let max = -Infinity;
        for (const { input, rec } of records) {
          h.record(rec.key, { input, record: rec }, rec.ts);
          max = Math.max(max, rec.ts);
          h.watermark(max - D - 1);
        }
        h.end();
        const expected: Out[] = [];
        for (const l of records.filter((r) => r.input === 0).map((r) => r.rec))
          for (const r of records.filter((x) => x.input === 1).map((x) => x.rec)) {
            const d = r.ts - l.ts;
            if (l.key === r.key && (b.lowerExclusive ? d > b.lower : d >= b.lower) && (b.upperExclusive ? d < b.upper : d <= b.upper)) expected.push([l.id, r.id, Math.max(l.ts, r.ts)]);
          }
        assertSameMultiset(
          h.emitted.map((e) => e.record),
          expected,
          'pairs',
        );
        for (const e of h.emitted) assert.is(e.timestamp, e.record[2], 'the output carries the later timestamp');
        assert.equal(held(h), { keys: 0, entries: 0 }, 'no key or record kept after the final watermark');
        assert.is(h.event.size, 0, 'no timer left');
      },
    ),
    { numRuns: 300 },
  );
});

Interval('on an endless stream the state stays bounded: records leave as the watermark passes, keys go when empty', () => {
  const h = harnessOf(bounds(-5, 5));
  const D = 10;
  let most = 0;
  for (let i = 0; i < 5000; i++) {
    // A new key every 100 ms of event time; records 1 ms apart, each side alternately, shuffled by up to D.
    const ts = i + ((i * 7) % (D + 1)) - D;
    const key = `k${Math.floor(i / 100)}`;
    h.record(key, { input: (i % 2) as 0 | 1, record: { id: i, key, ts } }, ts);
    h.watermark(i - 2 * D - 1);
    most = Math.max(most, held(h).entries);
    assert.ok(h.event.size <= most + 1, 'timers at most one per record held');
    if (i % 500 === 499) assert.ok(held(h).keys <= 2, `at record ${i}: expected only the current keys kept, got ${held(h).keys}`);
  }
  // What can still join: the bounds' width plus the disorder, a record per ms.
  assert.ok(most <= 2 * D + 5 + 5 + 2 * D, `expected at most ~${4 * D + 10} records held at once, got ${most}`);
  h.end();
  assert.equal(held(h), { keys: 0, entries: 0 });
});

Interval('a record at or before the watermark is late: counted and dropped, joined with nothing', () => {
  const h = harnessOf(bounds(-10, 10));
  h.record('x', { input: 1, record: { id: 1, key: 'x', ts: 100 } }, 100);
  h.watermark(50);
  h.record('x', { input: 0, record: { id: 2, key: 'x', ts: 50 } }, 50);
  h.record('x', { input: 0, record: { id: 3, key: 'x', ts: 95 } }, 95);
  h.end();
  assert.equal(
    h.emitted.map((e) => e.record),
    [[3, 1, 100]],
  );
  assert.is(h.counters.lateRecords, 1);
});

Interval('a record stays exactly as long as a record still to come could join it, on either side', () => {
  const h = harnessOf(bounds(0, 3));
  const at = (input: 0 | 1, id: number, ts: number) => h.record('x', { input, record: { id, key: 'x', ts } }, ts);
  at(0, 1, 10); // joinable until the watermark reaches 13
  at(0, 2, 11); // until 14
  h.watermark(13); // the first goes; the second must stay: a right record at 14 is still to come
  at(1, 3, 14);
  at(1, 4, 20); // joinable by left records from 17 to 20
  at(1, 5, 21);
  h.watermark(20); // the one at 20 goes; 21 must stay: a left record at 21 is still to come
  at(0, 6, 21);
  h.end();
  assert.equal(h.emitted.map((e) => e.record.slice(0, 2)), [[2, 3], [6, 5]]);
});

Interval('exclusive bounds leave out pairs exactly at them', () => {
  const run = (lowerExclusive: boolean, upperExclusive: boolean) => {
    const h = harnessOf(bounds(0, 2, lowerExclusive, upperExclusive));
    h.record('x', { input: 0, record: { id: 0, key: 'x', ts: 10 } }, 10);
    for (const ts of [10, 11, 12]) h.record('x', { input: 1, record: { id: ts, key: 'x', ts } }, ts);
    h.end();
    return h.emitted.map((e) => e.record[1]).sort();
  };
  assert.equal(run(false, false), [10, 11, 12]);
  assert.equal(run(true, false), [11, 12]);
  assert.equal(run(false, true), [10, 11]);
  assert.equal(run(true, true), [11]);
});

Interval.run();
