/**
 * What a region restart saves: the job of two pipelines (spec/fixtures/two-pipelines.ts) whose
 * pipeline a throws once halfway through, with a checkpoint every 20 ms of real time, run as two
 * regions (only a restarts) and joined into one region by an exchange that carries nothing (the
 * whole job restarts), `--runs` times each, alternately. Prints per mode the median recovery time
 * (failure to running again: the `recovered` event on the system clock), the median run time, and
 * how often pipeline b's sources were opened (1: b ran on untouched; 2: b was restarted and
 * rewound with the job); every run's exactly-once outputs are checked complete. A first run,
 * not measured, warms the threads up. One JSON line last.
 *
 *   node --import tsx bench/region-restart.ts                 # 400,000 numbers a pipeline, 5 runs a mode
 *   node --import tsx bench/region-restart.ts --count 100000 --runs 3
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { restarts, Runtime, type RecoveredEvent } from 'weir';
import { wholeArg } from './args.ts';
import { opensFile, type Params } from '../spec/fixtures/two-pipelines.ts';

const { values } = parseArgs({ options: { count: { type: 'string' }, runs: { type: 'string' } } });
const COUNT = wholeArg('region-restart', 'count', values.count, 400_000, 1000);
const RUNS = wholeArg('region-restart', 'runs', values.runs, 5, 1);
const PARALLELISM = 2;
const job = new URL('../spec/fixtures/two-pipelines.ts', import.meta.url);

interface Sample {
  recoveryMs: number;
  elapsedMs: number;
  bOpens: number;
  wholeJob: boolean;
}

async function once(runtime: Runtime, joined: boolean): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-region-bench-'));
  try {
    const params: Params = { count: COUNT, splitSize: 1000, failAt: { a: COUNT / 2 }, mode: 'throw', marker: join(dir, 'failed'), pauseAt: COUNT, dir, joined };
    const started = performance.now();
    const h = await runtime.run(job, {
      parallelism: PARALLELISM,
      workers: 2,
      checkpointIntervalMs: 20,
      restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }),
      params,
    });
    const recovered: RecoveredEvent[] = [];
    h.on('recovered', (e) => recovered.push(e));
    const outputs = await Promise.all(['a-numbers', 'b-numbers'].map((name) => h.collected<number>(name)));
    await h.done;
    const elapsedMs = performance.now() - started;
    for (const [i, out] of outputs.entries()) {
      if (out.length !== COUNT || new Set(out).size !== COUNT) throw new Error(`run lost or repeated numbers of ${i ? 'b' : 'a'}: ${out.length} delivered, ${new Set(out).size} distinct, of ${COUNT}`);
    }
    if (recovered.length !== 1) throw new Error(`expected one recovery, got ${recovered.length}`);
    const bOpens = Array.from({ length: PARALLELISM }, (_, s) => readFileSync(opensFile(dir, 'b', s), 'utf8').split('\n').filter(Boolean).length);
    return { recoveryMs: recovered[0]!.recoveryMs, elapsedMs, bOpens: Math.max(...bOpens), wholeJob: recovered[0]!.wholeJob };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runtime = new Runtime({ workers: 2 });
const samples: Record<'region' | 'whole', Sample[]> = { region: [], whole: [] };
try {
  // The first job of a runtime imports the job module and warms the code up on each thread: seconds, not measured.
  await once(runtime, false);
  for (let r = 0; r < RUNS; r++) {
    samples.region.push(await once(runtime, false));
    samples.whole.push(await once(runtime, true));
  }
} finally {
  await runtime.close();
}
const summary = Object.fromEntries(
  Object.entries(samples).map(([mode, s]) => [
    mode,
    {
      restarted: s.every((x) => x.wholeJob) ? 'whole job' : s.every((x) => !x.wholeJob) ? 'region a' : 'mixed',
      recoveryMs: Math.round(median(s.map((x) => x.recoveryMs)) * 10) / 10,
      elapsedMs: Math.round(median(s.map((x) => x.elapsedMs))),
      bOpens: Math.max(...s.map((x) => x.bOpens)),
    },
  ]),
);
for (const [mode, s] of Object.entries(summary)) {
  console.log(`${mode.padEnd(6)} restarted ${s.restarted}: recovery ${s.recoveryMs} ms, run ${s.elapsedMs} ms, b's sources opened ${s.bOpens}× (median of ${RUNS}, ${COUNT} numbers a pipeline)`);
}
console.log(JSON.stringify({ count: COUNT, runs: RUNS, ...summary }));
