/**
 * Event time end to end: timestamps travel with records through chains and between threads,
 * watermarks are the minimum over inputs and fire event-time timers in order, the end of input
 * fires what is left, and side outputs carry what an operator sends them.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, WeirError } from 'weir';
import { HIGH, type Fired, type Params, type Reading } from '../fixtures/event-time.ts';
import type { Fired as IdleFired, Params as IdleParams } from '../fixtures/idle.ts';
import { advanceUntil, assertSameMultiset, fixture, rejectionOf, Runtime, run, watchdog } from '../helpers.ts';

/** The reference: for every distinct (sensor, reading time + afterMs), the sum of that sensor's values up to the timer's time. */
function expected(p: Params): Omit<Fired, 'watermarkAtFire'>[] {
  const out: Omit<Fired, 'watermarkAtFire'>[] = [];
  const sensors = new Set(p.readings.map((r) => r.sensor));
  for (const sensor of sensors) {
    const mine = p.readings.filter((r) => r.sensor === sensor);
    const times = [...new Set(mine.map((r) => r.ts + p.afterMs))].sort((a, b) => a - b);
    for (const time of times) out.push({ sensor, time, sum: mine.filter((r) => r.ts <= time).reduce((n, r) => n + r.value, 0) });
  }
  return out;
}

/** Readings in time order, then shuffled within `disorder` ms: each may come before others up to that much later. */
const readings = (disorder: number) =>
  fc
    .array(fc.record({ sensor: fc.constantFrom('a', 'b', 'c', 'd'), gap: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: 0, max: 100 }), jitter: fc.integer({ min: 0, max: disorder }) }), {
      minLength: 1,
      maxLength: 60,
    })
    .map((rows) => {
      let t = 1_000;
      const timed = rows.map((r) => ({ sensor: r.sensor, ts: (t += r.gap), value: r.value, arrival: t + r.jitter }));
      return timed.sort((x, y) => x.arrival - y.arrival).map(({ sensor, ts, value }): Reading => ({ sensor, ts, value }));
    });

const EventTime = suite('event time: timestamps, watermarks, timers');

let runtime: Runtime;
EventTime.before(() => void (runtime = new Runtime({ workers: 2 })));
EventTime.after(() => runtime.close());

EventTime('timers fire once per key and time, in time order, after the watermark passed them, whatever the parallelism and disorder', async () => {
  await fc.assert(
    fc.asyncProperty(readings(50), fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), async (rs, keyedParallelism, sourceParallelism) => {
      const params: Params = { readings: rs, maxOutOfOrderMs: 50, afterMs: 25, keyedParallelism };
      const h = await runtime.run(fixture('event-time'), { parallelism: sourceParallelism, params });
      const fired = await watchdog(h.collected<Fired>('fired'), 'event-time job');
      assertSameMultiset(
        fired.map(({ watermarkAtFire: _w, ...f }) => f),
        expected(params),
        `timers at p${keyedParallelism} from ${sourceParallelism} source subtask(s)`,
      );
      for (const sensor of new Set(fired.map((f) => f.sensor))) {
        const times = fired.filter((f) => f.sensor === sensor).map((f) => f.time);
        assert.equal(times, [...times].sort((a, b) => a - b), `expected sensor ${sensor}'s timers in time order`);
      }
      for (const f of fired) assert.ok(f.watermarkAtFire >= f.time, `expected a timer at ${f.time} to fire once the watermark passed it (watermark ${f.watermarkAtFire})`);
      // The metrics show event time (the progress line reads them): the newest timestamp the assigner gave.
      const { operators } = (await h.done).metrics;
      assert.is(Math.max(...operators.map((op) => op.eventTime)), Math.max(...rs.map((r) => r.ts)), 'expected the newest timestamp in metrics');
    }),
    { numRuns: 15 },
  );
});

EventTime('a side output carries exactly what the operator sent it', async () => {
  const rs: Reading[] = Array.from({ length: 200 }, (_, i) => ({ sensor: `s${i % 3}`, ts: 1_000 + i, value: (i * 37) % 100 }));
  const h = await runtime.run(fixture('event-time'), { parallelism: 2, params: { readings: rs, maxOutOfOrderMs: 0, afterMs: 1, keyedParallelism: 2 } satisfies Params });
  const [high] = await Promise.all([watchdog(h.collected<Reading>('high'), 'high readings'), h.collected('fired')]);
  assertSameMultiset(high, rs.filter((r) => r.value > HIGH), 'high readings');
});

EventTime('a timestamp function that returns something other than a finite number fails the job, naming the record', async () => {
  const rs = [{ sensor: 'a', ts: 1, value: 1 }, { sensor: 'a', ts: null, value: 2 }] as unknown as Reading[];
  const h = await run(fixture('event-time'), { parallelism: 1, workers: 1, params: { readings: rs, maxOutOfOrderMs: 0, afterMs: 1 } satisfies Params });
  const error = await rejectionOf(h.done, 'done of a job with a NaN timestamp');
  assert.instance(error, WeirError);
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.match(error.message, /the timestamp function of "withTimestamps#1" \(subtask 1\/1\) returned null for record \{"sensor":"a","ts":null,"value":2\}/);
});

EventTime.run();

const Idle = suite('event time: idle inputs, on a clock the test moves');

Idle('a paused subtask holds the watermark back until it has been idle for idleMs; then timers fire without the end of input', async () => {
  const clock = new ManualClock(0);
  const runtime = new Runtime({ workers: 2, clock });
  const params: IdleParams = { busy: 200, quiet: 10, idleMs: 1_000 };
  const h = await runtime.run(fixture('idle'), { parallelism: 2, batchSize: 1, watermarkIntervalMs: 200, params });
  const fired: IdleFired[] = [];
  void (async () => {
    for await (const f of h.output<IdleFired>('fired')) fired.push(f);
  })();
  // The workers' clocks follow this one and are never ahead of it: whatever has come out while it
  // reads less than idleMs was made before the quiet subtask could be idle.
  let early = 0;
  await advanceUntil(
    clock,
    () => {
      if (clock.now() < 1_000) {
        early = fired.length;
        assert.ok(fired.every((f) => f.watermark <= 18), `expected no watermark past the quiet subtask's 18 before idleMs: ${JSON.stringify(fired.at(-1))}`);
      }
      return fired.some((f) => f.time === 396); // the last even timer the busy subtask's 397 lets fire
    },
    'timers after the quiet subtask went idle',
  );
  // Once idle, the busy subtask's watermark (398 → 397) moves the timers on; all of them by a watermark, not the end of input.
  assert.ok(fired.slice(early).some((f) => f.watermark >= 397), 'expected the watermark to pass the quiet subtask once it was idle');
  assert.ok(fired.every((f) => Number.isFinite(f.watermark)), 'expected every timer fired by a watermark');
  assert.is((await h.cancel()).status, 'cancelled');
  await runtime.close();
});

Idle('without idleMs, a paused subtask holds the watermark back for as long as it pauses', async () => {
  const clock = new ManualClock(0);
  const runtime = new Runtime({ workers: 2, clock });
  const h = await runtime.run(fixture('idle'), { parallelism: 2, batchSize: 1, watermarkIntervalMs: 200, params: { busy: 200, quiet: 10 } satisfies IdleParams });
  const fired: IdleFired[] = [];
  void (async () => {
    for await (const f of h.output<IdleFired>('fired')) fired.push(f);
  })();
  // Timers up to the quiet subtask's watermark (18) fire, and then no more, however far the clock goes.
  await advanceUntil(clock, () => fired.some((f) => f.time === 18), 'timers up to the quiet subtask');
  const until = clock.now() + 5_000;
  await advanceUntil(clock, () => clock.now() >= until, 'five more seconds of clock');
  assert.ok(fired.every((f) => f.time <= 18), `expected nothing past the quiet subtask: ${JSON.stringify(fired.at(-1))}`);
  await h.cancel();
  await runtime.close();
});

Idle.run();
