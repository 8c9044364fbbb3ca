/**
 * Golden runs (issue 11): each golden job (spec/golden-jobs.ts) runs straight through at parallelism
 * 1; at parallelism 2 with a checkpoint every 100 ms of a ManualClock the test steps while the
 * sources read; and the same with a thrown error, a worker thread that exits and a worker over its
 * memory limit injected, each recovered by the supervisor from the last completed checkpoint; and
 * stopped with a savepoint, then resumed from its directory at another parallelism (2 → 3, 3 → 1).
 * The exactly-once outputs of every run must be identical, record for record.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, Runtime } from 'weir';
import { eventAt, GOLDEN_JOBS, GOLDEN_OUTPUTS, type Fault, type GoldenJob, type Total } from '../golden-jobs.ts';
import { runGolden, runGoldenRescaled, type GoldenOutcome } from '../golden-harness.ts';
import { assertSameMultiset } from '../helpers.ts';

const RECORDS: Record<GoldenJob, number> = { 'keyed-reduce': 600, candles: 2000, 'window-join': 600 };

const Golden = suite('golden runs: straight, checkpointed, failed and recovered');
/** Old-generation limit of the threads: the `oom` fault allocates past it. */
const runtime = new Runtime({ workers: 2, workerMemoryMb: 64 });
Golden.after(() => runtime.close());

/** Leg 1: no checkpoints, no failures, parallelism 1: the output every other leg must equal. */
const straightRun = (job: GoldenJob): Promise<GoldenOutcome> =>
  runGolden(runtime, { params: { job, records: RECORDS[job], parallelism: 1 }, workers: 1, clock: new ManualClock(0) });

/** Leg 2: parallelism 2, a checkpoint every 100 ms of the job's clock, stepped while the sources read. */
const checkpointedRun = (job: GoldenJob): Promise<GoldenOutcome> =>
  runGolden(runtime, { params: { job, records: RECORDS[job], parallelism: 2 }, workers: 2, clock: new ManualClock(0), checkpointIntervalMs: 100 });

/** The failures of leg 3: one of each kind, a quarter, half and three quarters into the input; one in a keyed function where the job has one. */
const faultsOf = (job: GoldenJob): Fault[] => {
  const n = RECORDS[job];
  const keyed = job === 'window-join' ? 'source' : 'keyed';
  return [
    { at: Math.floor(n / 4), kind: 'throw', place: keyed },
    { at: Math.floor(n / 2), kind: 'exit' },
    { at: Math.floor((3 * n) / 4), kind: 'oom' },
  ];
};

/** Leg 3: as leg 2, with the failures of `faultsOf` recovered by the supervisor. */
const failingRun = (job: GoldenJob): Promise<GoldenOutcome> =>
  runGolden(runtime, { params: { job, records: RECORDS[job], parallelism: 2, faults: faultsOf(job) }, workers: 2, clock: new ManualClock(0), checkpointIntervalMs: 100 });

/**
 * Leg 4: at parallelism `from`, checkpointed, stopped with a savepoint a third into the input, and
 * resumed from the savepoint's directory at parallelism `to`; the outputs of both runs together.
 */
const savepointAndRescaleRun = (job: GoldenJob, from: number, to: number) =>
  runGoldenRescaled(runtime, { params: { job, records: RECORDS[job], parallelism: from }, resumeAt: to, workers: 2, stopAfterSteps: Math.floor(RECORDS[job] / 6), checkpointIntervalMs: 100 });

for (const job of GOLDEN_JOBS) {
  Golden(`${job}: the exactly-once outputs of a straight run, a checkpointed run and a run with three failures are identical`, async () => {
    const straight = await straightRun(job);
    for (const name of GOLDEN_OUTPUTS[job]) assert.ok(straight.outputs[name]!.length > 0, `${job}: the straight run has ${name}`);
    const checkpointed = await checkpointedRun(job);
    assert.ok(checkpointed.checkpoints >= 3, `${job}: checkpoints completed while the sources read (${checkpointed.checkpoints})`);
    const failing = await failingRun(job);
    const recoveredFrom = failing.recovered.map((e) => e.fromCheckpoint ?? 'start');
    console.log(`  (${job}: ${checkpointed.checkpoints} checkpoints; with failures ${failing.checkpoints}, recovered from ${recoveredFrom.join(', ')})`);
    for (const name of GOLDEN_OUTPUTS[job]) {
      assertSameMultiset(checkpointed.outputs[name]!, straight.outputs[name]!, `${job} ${name}: checkpointed at parallelism 2 against straight`);
      assertSameMultiset(failing.outputs[name]!, straight.outputs[name]!, `${job} ${name}: with failures against straight`);
    }
    assert.is(failing.injected, 3, `${job}: every fault fired`);
    assert.equal(
      failing.restarting.map((e) => (e.cause as { code?: string }).code),
      ['WEIR_E_USER_FUNCTION', 'WEIR_E_WORKER_DIED', 'WEIR_E_WORKER_DIED'],
      `${job}: a throw, an exit and a worker over its memory limit, in that order`,
    );
    assert.match(failing.restarting[2]!.cause.message, /memory/i);
    assert.is(failing.recovered.length, 3, `${job}: recovered three times`);
    assert.ok(failing.recovered.some((e) => e.fromCheckpoint !== undefined), `${job}: some recovery came from a checkpoint`);
  });

  Golden(`${job}: stopped with a savepoint and resumed at parallelism 2 → 3 and 3 → 1, the exactly-once outputs equal the straight run's`, async () => {
    const straight = await straightRun(job);
    for (const [from, to] of [[2, 3], [3, 1]] as const) {
      const rescaled = await savepointAndRescaleRun(job, from, to);
      assert.ok(rescaled.savepointBytes > 0, `${job} ${from} → ${to}: a savepoint was written`);
      for (const name of GOLDEN_OUTPUTS[job]) {
        assertSameMultiset(rescaled.outputs[name]!, straight.outputs[name]!, `${job} ${name}: stopped at parallelism ${from}, resumed at ${to}, against straight`);
      }
    }
  });
}

Golden('keyed-reduce: the straight run is the keyed state after every record, computed plainly', async () => {
  const records = 300;
  const straight = await runGolden(runtime, { params: { job: 'keyed-reduce', records, parallelism: 2 }, workers: 2 });
  const byKey = new Map<string, Total>();
  const want: Total[] = [];
  for (let i = 0; i < records; i++) {
    const e = eventAt(i);
    const t = byKey.get(e.key) ?? { key: e.key, n: 0, sum: 0 };
    const next = { key: e.key, n: t.n + 1, sum: t.sum + e.v };
    byKey.set(e.key, next);
    want.push(next);
  }
  assertSameMultiset(straight.outputs['totals']!, want, 'rolling totals');
});

Golden.run();
