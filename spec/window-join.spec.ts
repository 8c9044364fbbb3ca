/**
 * The two-input window operators driven by the window harness: sessions of both inputs' records
 * (with a gap per record), and state that survives a snapshot through JSON mid-stream.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { intervalJoinOperator } from '../actors/interval-join.ts';
import { coGroupOperator, windowJoinOperator } from '../actors/window-join.ts';
import { windowSetOperator } from '../actors/window-set-operations.ts';
import type { KeyedOperatorContext, KeyedOperatorFactory, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import { windows } from '../lib/window/assigners.ts';
import { WindowHarness, type HarnessSnapshot } from './fixtures/window-harness.ts';

interface Rec {
  id: number;
  ts: number;
  gap: number;
}
type Input = { input: 0 | 1; record: Rec };

/** A two-input operator as a one-input one over tagged records, as the runtime's stage hands records to process1/process2. */
function asOneInput<O>(factory: TwoInputOperatorFactory<Rec, Rec, O, KeyedOperatorContext<string>>): KeyedOperatorFactory<Input, O, string> {
  return () => {
    const op = factory();
    return {
      open: (ctx) => op.open?.(ctx),
      process: ({ input, record }, out) => (input === 0 ? op.process1(record, out) : op.process2(record, out)),
      onTimer: (time, domain, out) => op.onTimer?.(time, domain, out),
      onWatermark: (watermark, out) => op.onWatermark?.(watermark, out),
      close: (out) => op.close?.(out),
    };
  };
}

const feed = <O>(h: WindowHarness<Input, O, string>, input: 0 | 1, id: number, ts: number, gap = 5) => h.record('k', { input, record: { id, ts, gap } }, ts);

const Two = suite('two-input windows on the harness');

Two('sessions of both inputs together, each record with its own gap: a record of either side bridges', () => {
  const h = new WindowHarness<Input, string, string>(
    asOneInput(coGroupOperator<Rec, Rec, string, string>(windows.session({ gapOf: (r: Rec) => r.gap }), (key, as, bs, out, w) => out.collect(`${key} [${w.start},${w.end}) a:${as.map((r) => r.id)} b:${bs.map((r) => r.id)}`))),
  );
  feed(h, 0, 1, 0, 3); // [0, 3)
  feed(h, 0, 2, 10, 2); // [10, 12)
  feed(h, 1, 3, 2, 9); // [2, 11): bridges both into [0, 12)
  feed(h, 1, 4, 30, 1); // [30, 31), alone
  h.end();
  assert.equal(
    h.emitted.map((e) => e.record),
    ['k [0,12) a:1,2 b:3', 'k [30,31) a: b:4'],
  );
  assert.equal(h.emitted.map((e) => e.timestamp), [11, 30], 'results carry the window’s last millisecond');
});

/** Runs `events` through a fresh harness, with a snapshot through JSON and a restore into a new one after `cut` events. */
function withRestore<O>(make: () => KeyedOperatorFactory<Input, O, string>, events: [0 | 1, number, number][], cut: number, watermarks: Record<number, number>): O[] {
  let h = new WindowHarness<Input, O, string>(make());
  const emitted: O[] = [];
  events.forEach(([input, id, ts], i) => {
    if (i === cut) {
      emitted.push(...h.emitted.map((e) => e.record));
      const snapshot: HarnessSnapshot = h.snapshot();
      h = new WindowHarness<Input, O, string>(make(), { restore: snapshot });
    }
    feed(h, input, id, ts);
    if (watermarks[i] !== undefined) h.watermark(watermarks[i]!);
  });
  h.end();
  return [...emitted, ...h.emitted.map((e) => e.record)];
}

Two('join, coGroup, intersect and interval join state survives a snapshot through JSON: the same results with or without one', () => {
  const events: [0 | 1, number, number][] = [
    [0, 1, 1],
    [1, 2, 3],
    [0, 3, 8],
    [1, 4, 12],
    [0, 5, 14],
    [1, 6, 15],
    [0, 7, 21],
    [1, 8, 22],
  ];
  const watermarks = { 2: 4, 4: 10, 6: 13 };
  const makers: (() => KeyedOperatorFactory<Input, unknown, string>)[] = [
    () => asOneInput(windowJoinOperator<Rec, Rec, unknown, string>(windows.tumbling(10), (a, b, { window }) => [a.id, b.id, window.start])),
    () => asOneInput(coGroupOperator<Rec, Rec, unknown, string>(windows.sliding({ size: 10, slide: 5 }), (_k, as, bs, out, w) => out.collect([w.start, as.map((r) => r.id), bs.map((r) => r.id)]))),
    () => asOneInput(windowSetOperator<Rec, string>('intersect', windows.tumbling(10))),
    () => asOneInput(intervalJoinOperator<Rec, Rec, unknown, string>({ lower: -3, upper: 3, lowerExclusive: false, upperExclusive: false }, (a, b, _ctx, out) => out.collect([a.id, b.id]))),
  ];
  for (const make of makers) {
    const straight = withRestore(make, events, -1, watermarks);
    assert.ok(straight.length > 0, 'the operator gives results');
    for (let cut = 1; cut < events.length; cut++) assert.equal(withRestore(make, events, cut, watermarks), straight, `restored after event ${cut}`);
  }
});

Two.run();
