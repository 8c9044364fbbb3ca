/**
 * Region restarts: in a job of two pipelines that never exchange a record, a failure of an operator
 * of one restarts that pipeline only (its pipelined region), from the last checkpoint, while the
 * other runs on: its sources are never opened again nor rewound. A worker thread that dies hosts
 * actors of both, so the whole job restarts. Either way every exactly-once output equals a straight
 * run. Delays pass on a ManualClock the test steps; the sources pause on files the test writes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, restarts, type JobHandle, type RecoveredEvent, type RestartingEvent } from 'weir';
import { opensFile, type Params, type Sum } from '../fixtures/two-pipelines.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const COUNT = 200;
const PARALLELISM = 2;
const runtime = new Runtime({ workers: 2 });

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Steps the job's clock 50 ms per turn of the event loop until `done` (a watchdog guards against a hang). */
async function stepUntil(clock: ManualClock, done: () => boolean, what: string, step = 50): Promise<void> {
  await watchdog(
    (async () => {
      while (!done()) {
        clock.advance(step);
        await turn();
      }
    })(),
    what,
    30_000,
  );
}

/** What a straight run gives per pipeline: every number once, and per key (v mod 5) how many and their sum. */
const numbers = Array.from({ length: COUNT }, (_, i) => i);
const sums: Sum[] = [0, 1, 2, 3, 4].map((key) => {
  const of = numbers.filter((v) => v % 5 === key);
  return { key, n: of.length, sum: of.reduce((a, b) => a + b, 0) };
});

/** How often each subtask of `source` was opened. */
const opens = (dir: string, source: string): number[] =>
  Array.from({ length: PARALLELISM }, (_, i) => readFileSync(opensFile(dir, source, i), 'utf8').split('\n').filter(Boolean).length);

interface Run {
  readonly h: JobHandle;
  readonly clock: ManualClock;
  readonly dir: string;
  readonly restarting: RestartingEvent[];
  readonly recovered: RecoveredEvent[];
  readonly outputs: Promise<Record<'a-numbers' | 'b-numbers' | 'a-sums' | 'b-sums', unknown[]>>;
}

/** Starts two-pipelines with both sources pausing at `pauseAt`, and reads every output from the start. */
async function started(mode: Params['mode'], failAt: Params['failAt'], pauseAt: number, attempts = 1): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-regions-'));
  const clock = new ManualClock(0);
  const params: Params = { count: COUNT, splitSize: 16, failAt, mode, marker: join(dir, 'failed'), pauseAt, dir };
  const h = await runtime.run(fixture('two-pipelines'), {
    parallelism: PARALLELISM,
    workers: 2,
    clock,
    batchSize: 4,
    restart: restarts.fixedDelay({ attempts, delayMs: 100 }),
    params,
  });
  const restarting: RestartingEvent[] = [];
  const recovered: RecoveredEvent[] = [];
  h.on('restarting', (e) => restarting.push(e));
  h.on('recovered', (e) => recovered.push(e));
  const names = ['a-numbers', 'b-numbers', 'a-sums', 'b-sums'] as const;
  const outputs = Promise.all(names.map((name) => h.collected(name))).then((all) => Object.fromEntries(names.map((name, i) => [name, all[i]!])) as Awaited<Run['outputs']>);
  return { h, clock, dir, restarting, recovered, outputs };
}

/** Lets source `name` read past its pause. */
const release = (run: Run, name: 'a' | 'b'): void => writeFileSync(join(run.dir, `go-${name}`), '');

async function finished(run: Run): Promise<void> {
  let done = false;
  run.h.done.then(
    () => (done = true),
    () => (done = true),
  );
  await stepUntil(run.clock, () => done, 'the job finished');
  assert.is((await run.h.done).status, 'finished', 'the job finished');
}

/** Both pipelines' exactly-once outputs hold every number once and the straight run's sums. */
async function assertStraightOutputs(run: Run): Promise<void> {
  const out = await run.outputs;
  for (const p of ['a', 'b'] as const) {
    assertSameMultiset(out[`${p}-numbers`], numbers, `pipeline ${p}'s numbers, exactly once`);
    assertSameMultiset(out[`${p}-sums`], sums, `pipeline ${p}'s sums per key`);
  }
}

const Regions = suite('a job of two pipelines restarts the failed one only');
Regions.after(() => runtime.close());

Regions('an operator that throws restarts its own pipeline from the checkpoint; the other is never reopened nor rewound, and both outputs equal a straight run', async () => {
  const run = await started('throw', { a: 150 }, 100);
  const checkpoint = await watchdog(run.h.checkpoint(), 'the checkpoint');
  release(run, 'a');
  await stepUntil(run.clock, () => run.recovered.length === 1, 'pipeline a recovered');
  // Pipeline b was paused all along: it reads on only now, after a restarted.
  release(run, 'b');
  await finished(run);
  await assertStraightOutputs(run);
  assert.equal(opens(run.dir, 'a'), [2, 2], "pipeline a's source subtasks were opened again (and sought to their offsets)");
  assert.equal(opens(run.dir, 'b'), [1, 1], "pipeline b's source subtasks were opened once: never restarted nor rewound");

  assert.is(run.restarting.length, 1, 'one restart');
  const [restarting] = run.restarting;
  assert.is(restarting!.wholeJob, false, 'only a region restarted');
  assert.match(restarting!.cause.message, 'flaky number 150 in a');
  assert.is(restarting!.fromCheckpoint, checkpoint.id, 'from the checkpoint taken before the failure');
  assert.equal(restarting!.operators, ['a', 'a-flaky', 'a-numbers-out', 'a-sums', 'a-sums-out'], "pipeline a's operators restarted, and no other");
  assert.equal(
    run.recovered.map((e) => [e.wholeJob, e.fromCheckpoint, e.operators]),
    [[false, checkpoint.id, restarting!.operators]],
    'recovered says the same region',
  );
});

Regions('a failure before any checkpoint restarts the region from the start, and the outputs still equal a straight run', async () => {
  const run = await started('throw', { a: 20 }, 100);
  release(run, 'a');
  await stepUntil(run.clock, () => run.recovered.length === 1, 'pipeline a recovered');
  release(run, 'b');
  await finished(run);
  await assertStraightOutputs(run);
  assert.equal(
    run.restarting.map((e) => [e.wholeJob, e.fromCheckpoint]),
    [[false, undefined]],
    'a region restart, from no checkpoint',
  );
  assert.equal(opens(run.dir, 'b'), [1, 1], 'pipeline b was never reopened');
});

Regions('a worker thread that dies hosts actors of both pipelines: the whole job restarts, and the outputs still equal a straight run', async () => {
  const run = await started('exit', { a: 150 }, 100);
  const checkpoint = await watchdog(run.h.checkpoint(), 'the checkpoint');
  release(run, 'a');
  await stepUntil(run.clock, () => run.restarting.length === 1, 'the worker exited');
  // The dead thread's replacement starts (and imports the job) in real time: no clock step until the job runs again.
  run.clock.advance(100);
  await watchdog(
    (async () => {
      while (run.recovered.length === 0) await turn();
    })(),
    'the job recovered',
  );
  release(run, 'b');
  await finished(run);
  await assertStraightOutputs(run);
  const [restarting] = run.restarting;
  assert.is((restarting!.cause as { code?: string }).code, 'WEIR_E_WORKER_DIED');
  assert.is(restarting!.wholeJob, true, 'the whole job restarted');
  assert.is(restarting!.fromCheckpoint, checkpoint.id);
  assert.equal(opens(run.dir, 'b'), [2, 2], "pipeline b's sources were reopened with the job");
});

Regions('each pipeline failing in turn restarts alone, the second from a checkpoint taken after the first recovered, which covers both', async () => {
  const run = await started('throw', { a: 150, b: 120 }, 100, 2);
  await watchdog(run.h.checkpoint(), 'the first checkpoint');
  release(run, 'a');
  await stepUntil(run.clock, () => run.recovered.length === 1, 'pipeline a recovered');
  const second = await watchdog(run.h.checkpoint(), 'the checkpoint after a recovered');
  release(run, 'b');
  await stepUntil(run.clock, () => run.recovered.length === 2, 'pipeline b recovered');
  await finished(run);
  await assertStraightOutputs(run);
  assert.equal(
    run.restarting.map((e) => [e.attempt, e.wholeJob, e.operators.every((name) => name.startsWith(e === run.restarting[0] ? 'a' : 'b'))]),
    [
      [1, false, true],
      [2, false, true],
    ],
    'a, then b, each alone',
  );
  assert.is(run.restarting[1]!.fromCheckpoint, second.id, 'b restarted from the checkpoint taken after a recovered');
  assert.equal([opens(run.dir, 'a'), opens(run.dir, 'b')], [[2, 2], [2, 2]], 'each pipeline was reopened once: by its own restart');
});

Regions('both pipelines failing at about the same time each restart alone, whichever comes first (one may fail while the other restarts)', async () => {
  const run = await started('throw', { a: 130, b: 130 }, 100, 2);
  await watchdog(run.h.checkpoint(), 'the checkpoint');
  release(run, 'a');
  release(run, 'b');
  await stepUntil(run.clock, () => run.recovered.length === 2, 'both pipelines recovered');
  await finished(run);
  await assertStraightOutputs(run);
  const restartedPipelines = run.restarting.map((e) => [e.wholeJob, [...new Set(e.operators.map((name) => name[0]))].join('')]);
  assert.equal(restartedPipelines.sort(), [[false, 'a'], [false, 'b']], 'a and b, each alone, in either order');
  assert.equal([opens(run.dir, 'a'), opens(run.dir, 'b')], [[2, 2], [2, 2]], 'each pipeline was reopened once: by its own restart');
});

Regions.run();
