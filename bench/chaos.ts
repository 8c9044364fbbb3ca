/**
 * npm run chaos: a long run of injected failures across the golden jobs (spec/golden-jobs.ts: a
 * keyed reduce, the flagship's windowed candles, a window join), each run checked against the
 * job's straight run. Every run injects `--per-run` faults at random records and places, of every
 * kind in turn (a throw, a worker thread that exits, a worker over its memory limit), with a
 * checkpoint every `--checkpoint-ms` of real time, and recovers through the restart strategy. Runs
 * go on until `--failures` faults fired.
 *
 * Prints failures injected, recoveries, records lost and duplicated over every exactly-once output
 * (both must be 0), and recovery time (failure to running again, the supervisor's `recovered`
 * events on the system clock: tear-down, a fresh thread where one died, redeployment, restore),
 * and ends with one JSON line:
 * {"failures":…,"recoveries":…,"lost":0,"duplicated":0,"recoveryMs":{"p50":…,"p99":…}}
 *
 *   npm run chaos                                  # 1,000 failures, 20,000 records a run
 *   npm run chaos -- --failures 200 --records 5000 --per-run 5 --seed 7
 *
 * Failures and recoveries may differ: two faults can fire at once on two actors (the candles'
 * source reads on two subtasks), and one restart recovers both. The process exits 1 if anything
 * was lost or duplicated, or a run did not finish.
 */
import { parseArgs } from 'node:util';
import { Runtime } from 'weir';
import { wholeArg } from './args.ts';
import { FAULT_KINDS, GOLDEN_JOBS, GOLDEN_OUTPUTS, type Fault, type GoldenJob } from '../spec/golden-jobs.ts';
import { difference, runGolden, type GoldenOutcome } from '../spec/golden-harness.ts';

const { values } = parseArgs({
  options: {
    failures: { type: 'string' },
    records: { type: 'string' },
    'per-run': { type: 'string' },
    'checkpoint-ms': { type: 'string' },
    seed: { type: 'string' },
  },
});
const FAILURES = wholeArg('chaos', 'failures', values.failures, 1000, 1);
const RECORDS = wholeArg('chaos', 'records', values.records, 20_000, 100);
const PER_RUN = wholeArg('chaos', 'per-run', values['per-run'], 10, 1);
const CHECKPOINT_MS = wholeArg('chaos', 'checkpoint-ms', values['checkpoint-ms'], 20, 1);
const SEED = wholeArg('chaos', 'seed', values.seed, 1, 0);

/** mulberry32: the runs' random choices, the same for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const rand = random(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** `PER_RUN` faults at distinct random records, kinds in turn (from where the last run left off). */
let nextKind = 0;
function faultsFor(job: GoldenJob): Fault[] {
  const at = new Set<number>();
  while (at.size < Math.min(PER_RUN, RECORDS)) at.add(Math.floor(rand() * RECORDS));
  return [...at].map((record) => ({
    at: record,
    kind: FAULT_KINDS[nextKind++ % FAULT_KINDS.length]!,
    place: job === 'window-join' ? 'source' : pick(['source', 'keyed'] as const),
  }));
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Old-generation limit of the threads: the `oom` fault allocates past it. */
const runtime = new Runtime({ workers: 2, workerMemoryMb: 64 });
const totals = { failures: 0, recoveries: 0, lost: 0, duplicated: 0, runs: 0, unfinished: 0, byKind: { throw: 0, exit: 0, oom: 0 } };
const recoveryMs: number[] = [];
const started = performance.now();
try {
  const straight = new Map<GoldenJob, GoldenOutcome>();
  for (const job of GOLDEN_JOBS) straight.set(job, await runGolden(runtime, { params: { job, records: RECORDS, parallelism: 1 }, workers: 1, batchSize: 256 }));
  console.log(`chaos: ${FAILURES} failures, ${RECORDS} records a run, ${PER_RUN} faults a run, a checkpoint every ${CHECKPOINT_MS} ms, seed ${SEED}`);
  while (totals.failures < FAILURES) {
    const job = GOLDEN_JOBS[totals.runs % GOLDEN_JOBS.length]!;
    const parallelism = pick([1, 2]);
    const faults = faultsFor(job);
    const t0 = performance.now();
    let line: string;
    try {
      const got = await runGolden(runtime, {
        params: { job, records: RECORDS, parallelism, faults },
        workers: 2,
        batchSize: 256,
        checkpointIntervalMs: CHECKPOINT_MS,
      });
      const want = straight.get(job)!;
      let lost = 0;
      let duplicated = 0;
      for (const name of GOLDEN_OUTPUTS[job]) {
        const d = difference(want.outputs[name]!, got.outputs[name]!);
        lost += d.lost;
        duplicated += d.duplicated;
      }
      totals.failures += got.injected;
      totals.recoveries += got.recovered.length;
      totals.lost += lost;
      totals.duplicated += duplicated;
      for (const f of faults) totals.byKind[f.kind]++;
      recoveryMs.push(...got.recovered.map((e) => e.recoveryMs));
      const fromCheckpoint = got.recovered.filter((e) => e.fromCheckpoint !== undefined).length;
      line = `${got.injected} failures, ${got.recovered.length} recoveries (${fromCheckpoint} from a checkpoint, ${got.checkpoints} checkpoints), lost ${lost}, duplicated ${duplicated}`;
    } catch (error) {
      totals.unfinished++;
      line = `did not finish: ${(error as Error).message}`;
    }
    totals.runs++;
    console.log(`run ${String(totals.runs).padStart(3)}  ${job.padEnd(12)} p${parallelism}  ${line}  (${Math.round(performance.now() - t0)} ms)`);
  }
} finally {
  await runtime.close();
}

recoveryMs.sort((a, b) => a - b);
const p50 = round1(percentile(recoveryMs, 50));
const p99 = round1(percentile(recoveryMs, 99));
console.log('');
console.log(`runs                 ${totals.runs} (${totals.unfinished} did not finish) in ${Math.round((performance.now() - started) / 1000)} s`);
console.log(`failures injected    ${totals.failures} (faults planned: ${totals.byKind.throw} throws, ${totals.byKind.exit} thread exits, ${totals.byKind.oom} over the memory limit)`);
console.log(`recoveries           ${totals.recoveries}`);
console.log(`records lost         ${totals.lost}`);
console.log(`records duplicated   ${totals.duplicated}`);
console.log(`recovery time        median ${p50} ms, p99 ${p99} ms, max ${round1(recoveryMs.at(-1) ?? NaN)} ms`);
console.log(JSON.stringify({ failures: totals.failures, recoveries: totals.recoveries, lost: totals.lost, duplicated: totals.duplicated, recoveryMs: { p50, p99 } }));
if (totals.lost > 0 || totals.duplicated > 0 || totals.unfinished > 0) process.exitCode = 1;
