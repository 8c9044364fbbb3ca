/** ManualClock: time that tests step, with timers run in due order at their due time. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ManualClock } from '../lib/util/clock.ts';
import { thrownBy } from './helpers.ts';

const Manual = suite('ManualClock');

Manual('timers run in time order, whatever order they were set in', () => {
  const clock = new ManualClock();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push('c'), 30);
  clock.setTimeout(() => ran.push('a'), 10);
  clock.setTimeout(() => ran.push('b'), 20);
  clock.advance(30);
  assert.equal(ran, ['a', 'b', 'c']);
});

Manual('timers due at the same time run in the order they were set', () => {
  const clock = new ManualClock();
  const ran: number[] = [];
  for (let i = 0; i < 5; i++) clock.setTimeout(() => ran.push(i), 10);
  clock.advance(10);
  assert.equal(ran, [0, 1, 2, 3, 4]);
});

Manual('inside a callback now() is the timer\'s due time; after advance it is the end of the step', () => {
  const clock = new ManualClock(100);
  const seen: number[] = [];
  clock.setTimeout(() => seen.push(clock.now()), 5);
  clock.setTimeout(() => seen.push(clock.now()), 12);
  clock.advance(50);
  assert.equal(seen, [105, 112], 'expected each callback to see its own due time');
  assert.is(clock.now(), 150);
});

Manual('a timer not yet due waits for a later advance', () => {
  const clock = new ManualClock();
  let ran = 0;
  clock.setTimeout(() => ran++, 10);
  clock.advance(9);
  assert.is(ran, 0, 'expected nothing at 9 ms of 10');
  assert.is(clock.pending, 1);
  clock.advance(1);
  assert.is(ran, 1);
  assert.is(clock.pending, 0);
});

Manual('a cleared timer never runs; clearing one that already ran is harmless', () => {
  const clock = new ManualClock();
  const ran: string[] = [];
  const cleared = clock.setTimeout(() => ran.push('cleared'), 10);
  const kept = clock.setTimeout(() => ran.push('kept'), 10);
  clock.clearTimeout(cleared);
  clock.advance(20);
  clock.clearTimeout(kept);
  clock.clearTimeout(cleared);
  assert.equal(ran, ['kept']);
  assert.is(clock.pending, 0);
});

Manual('a timer set by a timer runs in the same advance if it falls due within it', () => {
  const clock = new ManualClock();
  const ran: string[] = [];
  clock.setTimeout(() => {
    ran.push(`outer@${clock.now()}`);
    clock.setTimeout(() => ran.push(`inner@${clock.now()}`), 5);
    clock.setTimeout(() => ran.push(`now@${clock.now()}`), 0);
    clock.setTimeout(() => ran.push(`late@${clock.now()}`), 50);
  }, 10);
  clock.setTimeout(() => ran.push(`other@${clock.now()}`), 12);
  clock.advance(20);
  assert.equal(ran, ['outer@10', 'now@10', 'other@12', 'inner@15'], 'expected the inner timers due by 20 to run in time order');
  assert.is(clock.pending, 1, 'expected the timer due at 60 to wait');
});

Manual('runAll runs every timer however far ahead, including those they set', () => {
  const clock = new ManualClock();
  const ran: number[] = [];
  clock.setTimeout(() => {
    ran.push(clock.now());
    clock.setTimeout(() => ran.push(clock.now()), 1_000);
  }, 500);
  clock.setTimeout(() => ran.push(clock.now()), 10_000);
  clock.runAll();
  assert.equal(ran, [500, 1500, 10_000]);
  assert.is(clock.now(), 10_000, 'expected the clock at the last due time');
  assert.is(clock.pending, 0);
});

Manual('a negative delay counts as 0; a negative or NaN advance is refused', () => {
  const clock = new ManualClock(7);
  let at = -1;
  clock.setTimeout(() => (at = clock.now()), -5);
  clock.advance(0);
  assert.is(at, 7, 'expected a negative delay to fire at once');
  assert.instance(thrownBy(() => clock.advance(-1), 'advance(-1)'), RangeError);
  assert.instance(thrownBy(() => clock.advance(NaN), 'advance(NaN)'), RangeError);
});

Manual('any timers and any steps: each runs once, at its due time, in (due, set) order (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(100), { maxLength: 30 }), fc.array(fc.nat(40), { minLength: 1, maxLength: 10 }), (delays, steps) => {
      const clock = new ManualClock();
      const ran: { id: number; at: number; now: number }[] = [];
      delays.forEach((delay, id) => clock.setTimeout(() => ran.push({ id, at: delay, now: clock.now() }), delay));
      let elapsed = 0;
      for (const step of steps) {
        clock.advance(step);
        elapsed += step;
        for (const r of ran) assert.ok(r.at <= elapsed, `expected timer ${r.id} (due ${r.at}) not to run before ${elapsed}`);
        assert.is(ran.length, delays.filter((d) => d <= elapsed).length, `expected every timer due by ${elapsed} to have run`);
      }
      for (const r of ran) assert.is(r.now, r.at, `expected timer ${r.id} to see now() = ${r.at}`);
      const expected = delays.map((at, id) => ({ id, at })).filter((t) => t.at <= elapsed).sort((x, y) => x.at - y.at || x.id - y.id);
      assert.equal(ran.map((r) => r.id), expected.map((t) => t.id), 'expected due order, ties in set order');
    }),
  );
});

Manual.run();
