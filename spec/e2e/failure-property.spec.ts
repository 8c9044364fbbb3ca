/**
 * Failures never change results (issue 11): a golden job (spec/golden-jobs.ts) with one to three
 * faults at random records and places (a throw, a worker thread that exits, a worker over its
 * memory limit), checkpointed every 100 ms of a stepped ManualClock and recovered by the supervisor's
 * restart strategy, ends with the exactly-once outputs of its straight run, record for record:
 * nothing lost, nothing twice, and the same final keyed state.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, Runtime } from 'weir';
import { FAULT_KINDS, GOLDEN_JOBS, GOLDEN_OUTPUTS, type Fault, type GoldenJob, type Total } from '../golden-jobs.ts';
import { runGolden, type GoldenOutcome } from '../golden-harness.ts';
import { assertSameMultiset } from '../helpers.ts';

const RECORDS: Record<GoldenJob, number> = { 'keyed-reduce': 300, candles: 1000, 'window-join': 400 };
const RUNS = 20;

const Property = suite('failures at random points never change the exactly-once output');
const runtime = new Runtime({ workers: 2, workerMemoryMb: 64 });
Property.after(() => runtime.close());

/** The straight run of each job, once: what every run with failures must equal. */
const straight = new Map<GoldenJob, Promise<GoldenOutcome>>();
const straightRun = (job: GoldenJob): Promise<GoldenOutcome> => {
  if (!straight.has(job)) straight.set(job, runGolden(runtime, { params: { job, records: RECORDS[job], parallelism: 1 }, workers: 1 }));
  return straight.get(job)!;
};

/** The last total of each key: `keyed-reduce`'s final keyed state. */
function finalState(totals: readonly Total[]): Total[] {
  const last = new Map<string, Total>();
  for (const t of totals) if ((last.get(t.key)?.n ?? 0) < t.n) last.set(t.key, t);
  return [...last.values()];
}

const faultsArb = (job: GoldenJob): fc.Arbitrary<Fault[]> =>
  fc.uniqueArray(
    fc.record({
      at: fc.integer({ min: 0, max: RECORDS[job] - 1 }),
      kind: fc.constantFrom(...FAULT_KINDS),
      place: job === 'window-join' ? fc.constant('source' as const) : fc.constantFrom('source' as const, 'keyed' as const),
    }),
    { minLength: 1, maxLength: 3, selector: (f) => f.at },
  );

const caseArb = fc
  .constantFrom(...GOLDEN_JOBS)
  .chain((job) => fc.record({ job: fc.constant(job), faults: faultsArb(job), parallelism: fc.constantFrom(1, 2) }));

Property('a throw, a worker exit or a worker over its memory limit at random records, recovered from checkpoints: outputs and final keyed state equal the straight run', async () => {
  const seen = { restarts: 0, fromCheckpoint: 0, faults: { throw: 0, exit: 0, oom: 0 } };
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ job, faults, parallelism }) => {
      const want = await straightRun(job);
      const got = await runGolden(runtime, { params: { job, records: RECORDS[job], parallelism, faults }, workers: 2, clock: new ManualClock(0), checkpointIntervalMs: 100 });
      const what = `${job} at parallelism ${parallelism}, faults ${JSON.stringify(faults)}`;
      for (const name of GOLDEN_OUTPUTS[job]) assertSameMultiset(got.outputs[name]!, want.outputs[name]!, `${what}: ${name}`);
      if (job === 'keyed-reduce') {
        assertSameMultiset(finalState(got.outputs['totals'] as Total[]), finalState(want.outputs['totals'] as Total[]), `${what}: final keyed state`);
      }
      assert.is(got.injected, faults.length, `${what}: every fault fired once`);
      // Two faults may fire in one attempt (on two actors at once): one restart covers both.
      assert.ok(got.restarting.length >= 1 && got.restarting.length <= faults.length, `${what}: ${got.restarting.length} restarts`);
      assert.is(got.recovered.length, got.restarting.length, `${what}: every restart recovered`);
      seen.restarts += got.restarting.length;
      seen.fromCheckpoint += got.recovered.filter((e) => e.fromCheckpoint !== undefined).length;
      for (const f of faults) seen.faults[f.kind]++;
    }),
    { numRuns: RUNS },
  );
  console.log(`  (${RUNS} runs: faults ${JSON.stringify(seen.faults)}, ${seen.restarts} restarts, ${seen.fromCheckpoint} from a checkpoint)`);
});

Property.run();
