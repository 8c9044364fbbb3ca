/**
 * Runs a golden job (spec/golden-jobs.ts) once and hands back its exactly-once outputs with what
 * happened on the way: checkpoints completed, faults fired, restarts and recoveries. The golden-runs
 * and failure-property specs and `npm run chaos` all run jobs through it, and compare outputs with
 * `difference` (not a spec: no assertions here, so that the chaos script can count instead of fail).
 *
 * On a `ManualClock` the run is paced: the job's source ids go to an at-least-once `ticks` output
 * read one record per step of the clock (its credit, and mailboxes of one batch, hold the sources back), so that periodic
 * checkpoints, watermarks and restart delays come while the sources read, the same way every time.
 * On the system clock the job runs at full speed and checkpoints come where they come.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { ManualClock, restarts, type JobHandle, type RecoveredEvent, type RestartingEvent, type Runtime, type StopResult } from 'weir';
import { GOLDEN_OUTPUTS, type GoldenParams } from './golden-jobs.ts';

/** The golden jobs' module next to this one: .ts under tsx (the specs), .js compiled (`npm run chaos`). */
export const GOLDEN_MODULE = new URL(`./golden-jobs${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/** How the job's clock moves per step of a paced run. */
const STEP_MS = 10;

export interface GoldenRun {
  /** The job and its input; `ticks` and `markers` are the harness's. */
  params: Omit<GoldenParams, 'ticks' | 'markers'>;
  workers: number;
  /** Periodic checkpoints on the job's clock; absent: none. */
  checkpointIntervalMs?: number;
  /** A clock the harness steps (a paced run); absent: the system clock. */
  clock?: ManualClock;
  /** Records per batch (small ones spread a short job over many checkpoints). Default 4. */
  batchSize?: number;
  /** A run that has not finished after this many ms of real time fails as hung. Default 120000. */
  hangMs?: number;
}

export interface GoldenOutcome {
  /** Every exactly-once output of the job, by name, as its consumer got it. */
  outputs: Record<string, unknown[]>;
  /** Checkpoints completed. */
  checkpoints: number;
  /** Faults that fired (their marker files): some may fire in an attempt already failing. */
  injected: number;
  restarting: RestartingEvent[];
  recovered: RecoveredEvent[];
}

/** Records of `want` missing from `got`, and records of `got` beyond `want` (by JSON, counted). */
export function difference(want: readonly unknown[], got: readonly unknown[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const r of want) counts.set(JSON.stringify(r), (counts.get(JSON.stringify(r)) ?? 0) + 1);
  let duplicated = 0;
  for (const r of got) {
    const k = JSON.stringify(r);
    const left = counts.get(k) ?? 0;
    if (left > 0) counts.set(k, left - 1);
    else duplicated++;
  }
  let lost = 0;
  for (const left of counts.values()) lost += left;
  return { lost, duplicated };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the job to its end through the supervisor (a restart per fault, and one to spare). */
export async function runGolden(runtime: Runtime, run: GoldenRun): Promise<GoldenOutcome> {
  const faults = run.params.faults ?? [];
  const markers = faults.length > 0 ? mkdtempSync(join(tmpdir(), 'weir-golden-')) : undefined;
  try {
    const { h, outcome, outputs } = await deploy(runtime, run, markers);
    await (run.clock ? paced(h, run.clock, run.hangMs ?? 120_000) : hangGuard(h.done, run.hangMs ?? 120_000));
    const result = await h.done;
    if (result.status !== 'finished') throw new Error(`golden ${run.params.job}: the job ended ${result.status}`);
    outcome.outputs = await outputs;
    outcome.injected = markers ? readdirSync(markers).length : 0;
    return outcome;
  } finally {
    if (markers) rmSync(markers, { recursive: true, force: true });
  }
}

export interface RescaledRun {
  /** The job and its input, without faults; `parallelism` is the first run's. */
  params: Omit<GoldenParams, 'ticks' | 'markers' | 'faults'>;
  /** The parallelism the savepoint is resumed at. */
  resumeAt: number;
  workers: number;
  /** Steps of the clock (records of `ticks` read) before `stop({ savepoint })`. */
  stopAfterSteps: number;
  checkpointIntervalMs?: number;
}

/**
 * A paced run stopped with a savepoint after `stopAfterSteps` steps, then resumed from the savepoint
 * directory at `resumeAt`: the outputs of both runs, the first's (everything before the final
 * checkpoint) followed by the second's. Fails if the job ended before it could be stopped.
 */
export async function runGoldenRescaled(runtime: Runtime, run: RescaledRun): Promise<GoldenOutcome & { savepointBytes: number }> {
  const parent = mkdtempSync(join(tmpdir(), 'weir-golden-savepoint-'));
  const dir = join(parent, 'savepoint');
  try {
    const hangMs = 120_000;
    const clock1 = new ManualClock(0);
    const first = await deploy(runtime, { ...run, clock: clock1 }, undefined);
    const stopping: { result?: Promise<StopResult> } = {};
    await paced(first.h, clock1, hangMs, {
      afterSteps: run.stopAfterSteps,
      stop: () => {
        stopping.result = first.h.stop({ savepoint: dir });
        stopping.result.catch(() => {}); // awaited below, once the job ended
      },
    });
    if (!stopping.result) throw new Error(`golden ${run.params.job}: the job ended before ${run.stopAfterSteps} steps, nothing to stop`);
    const result = await stopping.result;
    if (result.status !== 'stopped' || !result.savepoint) throw new Error(`golden ${run.params.job}: stop() ended the job ${result.status}`);
    const before = await first.outputs;
    const clock2 = new ManualClock(0);
    const second = await deploy(runtime, { ...run, params: { ...run.params, parallelism: run.resumeAt }, clock: clock2 }, undefined, dir);
    await paced(second.h, clock2, hangMs);
    const end = await second.h.done;
    if (end.status !== 'finished') throw new Error(`golden ${run.params.job}: the resumed job ended ${end.status}`);
    const after = await second.outputs;
    const outputs: Record<string, unknown[]> = {};
    for (const name of GOLDEN_OUTPUTS[run.params.job]) outputs[name] = [...before[name]!, ...after[name]!];
    return {
      outputs,
      checkpoints: first.outcome.checkpoints + second.outcome.checkpoints,
      injected: 0,
      restarting: [],
      recovered: [],
      savepointBytes: result.savepoint.bytes,
    };
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/** Starts a golden job on `runtime`; its exactly-once outputs by name once it ended, and the events so far. */
async function deploy(runtime: Runtime, run: GoldenRun, markers: string | undefined, restoreFrom?: string): Promise<{ h: JobHandle; outcome: GoldenOutcome; outputs: Promise<Record<string, unknown[]>> }> {
  const faults = run.params.faults ?? [];
  const params: GoldenParams = { ...run.params, ticks: run.clock !== undefined, ...(markers ? { markers } : {}) };
  const h = await runtime.run(GOLDEN_MODULE, {
    parallelism: run.params.parallelism,
    workers: run.workers,
    batchSize: run.batchSize ?? 4,
    ...(run.clock ? { clock: run.clock, collectCapacity: 1, mailboxCapacity: 1 } : {}),
    ...(run.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: run.checkpointIntervalMs } : {}),
    ...(restoreFrom !== undefined ? { restoreFrom } : {}),
    restart: faults.length > 0 ? restarts.fixedDelay({ attempts: faults.length + 1, delayMs: run.clock ? 100 : 0 }) : restarts.none(),
    params,
  });
  const outcome: GoldenOutcome = { outputs: {}, checkpoints: 0, injected: 0, restarting: [], recovered: [] };
  h.on('checkpoint', () => outcome.checkpoints++);
  h.on('restarting', (e) => outcome.restarting.push(e));
  h.on('recovered', (e) => outcome.recovered.push(e));
  const names = GOLDEN_OUTPUTS[run.params.job];
  const collected = names.map((name) => h.collected(name));
  for (const c of collected) c.catch(() => {});
  const outputs = Promise.all(collected).then((got) => Object.fromEntries(names.map((name, i) => [name, got[i]!])));
  outputs.catch(() => {});
  return { h, outcome, outputs };
}

/**
 * Reads `ticks` one record per step of the clock until the job ended. With `stopping`, after
 * `afterSteps` steps it calls `stop()` and reads `ticks` freely from then on (the final checkpoint's
 * barrier must get through), still stepping the clock until the job ended.
 */
async function paced(h: JobHandle, clock: ManualClock, hangMs: number, stopping?: { afterSteps: number; stop: () => void }): Promise<void> {
  let ended = false;
  h.done.then(() => (ended = true), () => (ended = true));
  let permits = 0;
  let permit: (() => void) | undefined;
  void (async () => {
    for await (const _ of h.output<number>('ticks')) {
      if (--permits < 0) await new Promise<void>((resolve) => (permit = resolve));
    }
  })().catch(() => {});
  const until = Date.now() + hangMs;
  let steps = 0;
  while (!ended) {
    if (Date.now() > until) {
      await h.cancel();
      throw new Error(`golden run hung: not finished after ${hangMs} ms (status ${h.status}, job clock at ${clock.now()})`);
    }
    if (stopping && steps === stopping.afterSteps) {
      permits = Infinity;
      stopping.stop();
    } else permits++;
    steps++;
    permit?.();
    permit = undefined;
    clock.advance(STEP_MS);
    await turn();
  }
}

/** `done`, or a cancel and an error after `ms` of real time. */
async function hangGuard(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`golden run hung: not finished after ${ms} ms`)), ms)));
  try {
    await Promise.race([done, hung]);
  } finally {
    clearTimeout(timer);
  }
}
