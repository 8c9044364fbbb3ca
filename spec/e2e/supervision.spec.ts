/**
 * Supervision: a running job that fails (a user function throws, a worker thread exits, an actor
 * loops for ever past actorTimeoutMs) is torn down and deployed again from its last completed
 * checkpoint, as its restart strategy allows, and ends with the results of a straight run; a
 * strategy that gives up fails the job with every failure named and nothing left behind. Delays
 * pass on a ManualClock the test steps.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, restarts, systemClock, type JobHandle, type RecoveredEvent, type RestartingEvent, type RunOptions } from 'weir';

import type { Params, Summary } from '../fixtures/flaky.ts';
import { assertNothingLeft, assertSameMultiset, fixture, rejectionOf, resourceCounts, run, Runtime, watchdog } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-supervision-'));
let files = 0;
const tempPath = (what: string): string => join(dir, `${what}-${files++}`);

/** The reference: per key its sum and sorted values. */
function expected(records: Params['records']): Summary[] {
  const byKey = new Map<string, number[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.v]);
  return [...byKey].map(([key, vs]) => ({ key, sum: vs.reduce((a, b) => a + b, 0), values: [...vs].sort((a, b) => a - b) }));
}

const recordsArb = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), v: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 60 });

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Turns of the event loop (no clock step) until `done`. */
async function turnsUntil(done: () => boolean, what: string): Promise<void> {
  await watchdog(
    (async () => {
      while (!done()) await turn();
    })(),
    what,
    30_000,
  );
}

/**
 * Steps the job's clock 50 ms per turn of the event loop until `done`. Unlike `advanceUntil`, no cap
 * on the steps (a restart waits for threads in real time, however many steps that takes); the
 * watchdog guards against a hang.
 */
async function stepUntil(clock: ManualClock, done: () => boolean, what: string): Promise<void> {
  await turnsUntil(() => {
    if (done()) return true;
    clock.advance(50);
    return false;
  }, what);
}

function listen(h: JobHandle): { restarting: RestartingEvent[]; recovered: RecoveredEvent[] } {
  const events = { restarting: [] as RestartingEvent[], recovered: [] as RecoveredEvent[] };
  h.on('restarting', (e) => events.restarting.push(e));
  h.on('recovered', (e) => events.recovered.push(e));
  return events;
}

const runtime = new Runtime({ workers: 2 });
const Recovery = suite('a failed job restarts from its last checkpoint');

Recovery('a user function that throws once, at a random record, before or after a checkpoint: the final keyed state equals a straight run (parallelism 1 and 2)', async () => {
  let fromCheckpoint = 0;
  await fc.assert(
    fc.asyncProperty(recordsArb, fc.nat(), fc.nat(), fc.constantFrom(1, 2), async (records, fail, pause, keyedParallelism) => {
      const failAt = fail % records.length;
      const pauseAt = pause % (records.length + 1);
      const go = tempPath('go');
      const params: Params = { records, mode: 'throw', once: true, failAt, marker: tempPath('marker'), pauseAt, go, keyedParallelism };
      const clock = new ManualClock(0);
      const h = await runtime.run(fixture('flaky'), { parallelism: keyedParallelism, workers: keyedParallelism, clock, batchSize: 4, restart: restarts.fixedDelay({ attempts: 2, delayMs: 100 }), params });
      const events = listen(h);
      const summaries = h.collected<Summary>('summaries');
      // Paused at pauseAt: a checkpoint completes unless the failure came first (then it is refused or abandoned).
      const checkpoint = await watchdog(h.checkpoint(), 'the checkpoint').catch(() => undefined);
      if (failAt >= pauseAt) assert.ok(checkpoint, 'the failure comes after the pause: the checkpoint completed');
      writeFileSync(go, '');
      let finished = false;
      h.done.then(() => (finished = true), () => (finished = true));
      await stepUntil(clock, () => finished, 'the job finished');
      assertSameMultiset(await summaries, expected(records), 'final keyed state');
      assert.is(events.restarting.length, 1, 'one restart');
      const [restarting] = events.restarting;
      assert.is(restarting!.attempt, 1);
      // A keyed job is one pipelined region: the whole job restarts.
      assert.is(restarting!.wholeJob, true, 'a job of one region restarts whole');
      assert.is(restarting!.delayMs, 100);
      assert.match(restarting!.cause.message, `flaky record ${failAt}`);
      assert.is((restarting!.cause as { operator?: string }).operator, 'flaky');
      if (failAt >= pauseAt) {
        assert.is(restarting!.fromCheckpoint, checkpoint!.id, 'restored from the checkpoint taken before the failure');
        fromCheckpoint++;
      }
      assert.equal(events.recovered.map((e) => [e.attempt, e.fromCheckpoint]), [[1, restarting!.fromCheckpoint]]);
      assert.ok(events.recovered[0]!.recoveryMs >= 100, `recovery includes the delay: ${events.recovered[0]!.recoveryMs}`);
    }),
    { numRuns: 12 },
  );
  console.log(`  (${fromCheckpoint} of 12 runs restarted from a checkpoint)`);
});

Recovery('a worker thread that exits is replaced, and the job recovers from its checkpoint', async () => {
  const records = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const go = tempPath('go');
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('flaky'), {
    parallelism: 2,
    workers: 2,
    clock,
    batchSize: 4,
    restart: restarts.fixedDelay({ attempts: 1, delayMs: 50 }),
    params: { records, mode: 'exit', once: true, failAt: 30, marker: tempPath('marker'), pauseAt: 20, go, keyedParallelism: 2 } satisfies Params,
  });
  const events = listen(h);
  // One iterator over the output, from before the failure to the end: it goes on across the restart.
  const summaries = (async () => {
    const all: Summary[] = [];
    for await (const s of h.output<Summary>('summaries')) all.push(s);
    return all;
  })();
  const checkpoint = await watchdog(h.checkpoint(), 'the checkpoint');
  writeFileSync(go, '');
  await stepUntil(clock, () => events.restarting.length === 1, 'the worker exited');
  // The dead thread's replacement starts (and imports the job) in real time: no clock step until the job runs again.
  clock.advance(50);
  await turnsUntil(() => events.recovered.length === 1, 'the job recovered');
  let finished = false;
  h.done.then(() => (finished = true), () => (finished = true));
  await stepUntil(clock, () => finished, 'the job finished');
  assertSameMultiset(await summaries, expected(records), 'final keyed state');
  assert.is(events.restarting.length, 1);
  assert.is((events.restarting[0]!.cause as { code?: string }).code, 'WEIR_E_WORKER_DIED');
  assert.is(events.restarting[0]!.fromCheckpoint, checkpoint.id);
  assert.is((await h.done).status, 'finished');
});

Recovery('a worker over workerMemoryMb dies, is replaced, and the job recovers', async () => {
  const before = resourceCounts();
  const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const h = await run(fixture('flaky'), {
    parallelism: 1,
    workers: 1,
    workerMemoryMb: 32,
    restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }),
    params: { records, mode: 'oom', once: true, failAt: 10, marker: tempPath('marker'), keyedParallelism: 1 } satisfies Params,
  });
  const events = listen(h);
  assertSameMultiset(await watchdog(h.collected<Summary>('summaries'), 'collected()'), expected(records), 'final keyed state');
  assert.is((events.restarting[0]?.cause as { code?: string } | undefined)?.code, 'WEIR_E_WORKER_DIED');
  assert.match(events.restarting[0]!.cause.message, /memory/i);
  assert.is(events.recovered.length, 1);
  console.log(`  (recovery with the thread replaced: ${events.recovered[0]!.recoveryMs.toFixed(1)} ms, a fresh thread imports the job)`);
  assertNothingLeft(before, 'after the job recovered and finished');
});

Recovery('a job that fails on every attempt gives up after the fixed delay’s attempts: the error lists every failure, and nothing is left', async () => {
  const before = resourceCounts();
  const clock = new ManualClock(0);
  const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const h = await run(fixture('flaky'), {
    parallelism: 2,
    workers: 2,
    clock,
    restart: restarts.fixedDelay({ attempts: 2, delayMs: 100 }),
    // The same record fails every attempt: not counted as poison here, so that the strategy runs out.
    poison: { after: 10 },
    params: { records, mode: 'throw', once: false, failAt: 7, marker: tempPath('marker'), keyedParallelism: 2 } satisfies Params,
  });
  const events = listen(h);
  const out = h.collected<Summary>('summaries');
  out.catch(() => {});
  let failed = false;
  h.done.catch(() => (failed = true));
  await stepUntil(clock, () => failed, 'the job failed');
  const error = await rejectionOf(h.done, 'done');
  assert.is(error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
  assert.match(error.message, 'fixed delay: 2 restarts used of 2');
  assert.match(error.message, 'Earlier failures (2)');
  assert.is(error.message.split('flaky record 7').length - 1, 3, `the last failure and the two earlier ones: ${error.message}`);
  assert.is((error.cause as { code?: string }).code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as { operator?: string }).operator, 'flaky');
  assert.equal(events.restarting.map((e) => [e.attempt, e.delayMs]), [[1, 100], [2, 100]]);
  assert.is(events.recovered.length, 2);
  assert.is((await rejectionOf(out, 'collected()')).code, 'WEIR_E_RESTARTS_EXHAUSTED');
  assert.is(h.status, 'failed');
  assert.is(clock.pending, 0, 'no timer left on the job clock');
  assertNothingLeft(before, 'after the job gave up');
});

Recovery('a job cancelled while it waits to restart is cancelled at once, and nothing is left', async () => {
  const before = resourceCounts();
  const clock = new ManualClock(0);
  const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const h = await run(fixture('flaky'), {
    parallelism: 2,
    workers: 2,
    clock,
    restart: restarts.fixedDelay({ attempts: 5, delayMs: 60_000 }),
    params: { records, mode: 'throw', once: false, failAt: 4, marker: tempPath('marker'), keyedParallelism: 2 } satisfies Params,
  });
  const events = listen(h);
  h.collected('summaries').catch(() => {});
  await stepUntil(clock, () => events.restarting.length === 1, 'the first failure');
  assert.is(h.status, 'restarting');
  const result = await watchdog(h.cancel(), 'cancel()');
  assert.is(result.status, 'cancelled');
  assert.is(events.recovered.length, 0, 'never deployed again');
  assert.is(clock.pending, 0, 'the restart delay is cleared');
  assertNothingLeft(before, 'after the job was cancelled while restarting');
});

Recovery('exponential backoff: each restart waits its delay on the job’s clock, and no longer', async () => {
  const clock = new ManualClock(0);
  const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const h = await runtime.run(fixture('flaky'), {
    parallelism: 1,
    workers: 1,
    clock,
    restart: restarts.exponentialBackoff({ initialMs: 100, maxMs: 300, multiplier: 2, jitter: 0, resetAfterMs: 60_000, attempts: 3 }),
    poison: { after: 10 },
    params: { records, mode: 'throw', once: false, failAt: 3, marker: tempPath('marker'), keyedParallelism: 1 } satisfies Params,
  });
  const events = listen(h);
  h.collected('summaries').catch(() => {});
  for (const [n, delayMs] of [[1, 100], [2, 200], [3, 300]] as const) {
    await turnsUntil(() => events.restarting.length === n, `restart ${n}`);
    assert.is(events.restarting[n - 1]!.delayMs, delayMs, `delay of restart ${n}`);
    clock.advance(delayMs - 1);
    for (let i = 0; i < 20; i++) await turn();
    assert.is(events.recovered.length, n - 1, `not redeployed ${delayMs - 1} ms into a ${delayMs} ms delay`);
    assert.is(h.status, 'restarting');
    clock.advance(1);
    await turnsUntil(() => events.recovered.length === n, `recovery ${n}`);
    assert.is(events.recovered[n - 1]!.recoveryMs, delayMs, 'failure to running again: the delay, on the job clock');
  }
  const error = await rejectionOf(h.done, 'done');
  assert.is(error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
  assert.match(error.message, 'exponential backoff: 3 restarts used of 3');
});

Recovery('recovery time of a small job on the system clock (no delay)', async () => {
  const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 5}`, v: i }));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const h = await runtime.run(fixture('flaky'), {
      parallelism: 2,
      workers: 2,
      restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }),
      params: { records, mode: 'throw', once: true, failAt: 100, marker: tempPath('marker'), keyedParallelism: 2 } satisfies Params,
    });
    h.on('recovered', (e) => times.push(e.recoveryMs));
    assertSameMultiset(await watchdog(h.collected<Summary>('summaries'), 'collected()'), expected(records), 'final keyed state');
  }
  times.sort((a, b) => a - b);
  assert.is(times.length, 5);
  console.log(`  (recovery, failure to running again, 2 threads kept: median ${times[2]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)}, max ${times[4]!.toFixed(1)})`);
});

Recovery.run();

const Watchdog = suite('the actor watchdog (actorTimeoutMs)');

/** Until `done`, moves the job's clock along with real time (the watchdog times steps on the system clock). */
async function followRealTime(clock: ManualClock, done: () => boolean, what: string): Promise<void> {
  await turnsUntil(() => {
    clock.advance(Math.max(0, systemClock.now() - clock.now()));
    return done();
  }, what);
}

Watchdog('an endless loop is caught: its thread is replaced and the job recovers', async () => {
  const clock = new ManualClock(systemClock.now());
  const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 4}`, v: i }));
  const h = await runtime.run(fixture('flaky'), {
    parallelism: 2,
    workers: 2,
    clock,
    actorTimeoutMs: 200,
    restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }),
    params: { records, mode: 'loop', once: true, failAt: 12, marker: tempPath('marker'), keyedParallelism: 2 } satisfies Params,
  });
  const events = listen(h);
  const summaries = h.collected<Summary>('summaries');
  let finished = false;
  h.done.then(() => (finished = true), () => (finished = true));
  await followRealTime(clock, () => finished, 'the job finished');
  assertSameMultiset(await summaries, expected(records), 'final keyed state');
  const cause = events.restarting[0]?.cause as { code?: string; operator?: string; message: string } | undefined;
  assert.is(cause?.code, 'WEIR_E_ACTOR_TIMEOUT');
  assert.match(cause!.operator ?? '', 'flaky');
  assert.is(events.recovered.length, 1);
});

Watchdog('an endless loop on every attempt: the job gives up, and the runtime runs the next job on replaced threads', async () => {
  const before = resourceCounts();
  const clock = new ManualClock(systemClock.now());
  const own = new Runtime({ workers: 1, clock });
  try {
    const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 2}`, v: i }));
    const options: RunOptions<Params> = {
      workers: 1,
      actorTimeoutMs: 100,
      restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }),
      params: { records, mode: 'loop', once: false, failAt: 2, marker: tempPath('marker'), keyedParallelism: 1 },
    };
    const { workerMemoryMb: _, ...jobOptions } = options;
    const h = await own.run(fixture('flaky'), jobOptions);
    h.collected('summaries').catch(() => {});
    let failed = false;
    h.done.catch(() => (failed = true));
    await followRealTime(clock, () => failed, 'the job gave up');
    const error = await rejectionOf(h.done, 'done');
    assert.is(error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
    assert.is((error.cause as { code?: string }).code, 'WEIR_E_ACTOR_TIMEOUT');
    const next = await own.run(fixture('flaky'), { params: { records, mode: 'throw', once: false, failAt: -1, marker: tempPath('marker'), keyedParallelism: 1 } satisfies Params });
    assertSameMultiset(await watchdog(next.collected<Summary>('summaries'), 'the next job'), expected(records), 'the next job’s results');
  } finally {
    await own.close();
  }
  assertNothingLeft(before, 'after the runtime closed');
});

Watchdog.run();

const Options = suite('restart options');

Options('restart and actorTimeoutMs are checked where they are given', async () => {
  const bad = [{ restart: { type: 'fixed-delay', attempts: -1, delayMs: 1 } }, { restart: 'always' }, { actorTimeoutMs: 0 }] as unknown as RunOptions[];
  for (const options of bad) {
    const error = await rejectionOf(runtime.run(fixture('flaky'), options), JSON.stringify(options));
    assert.is(error.code, 'WEIR_E_OPTION', `${JSON.stringify(options)}: ${error.message}`);
  }
});

Options.after(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

Options.run();
