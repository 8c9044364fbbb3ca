/**
 * The checkpoint cases of `npm run bench`:
 *
 * - cost: a job run with a checkpoint every second against the same job without, one right after
 *   the other on the same runtime (the order alternating from round to round, so that a machine
 *   getting busier does not favour one side), both over the same records; their records/s, as a
 *   ratio per round. The checkpointed run must produce the same totals as the plain one.
 * - recovery: a 2-worker job holding a million keys, checkpointed, then failed (its worker thread
 *   ended with `process.exit`, or a function that throws); the `recovered` event's `recoveryMs`,
 *   from the failure's detection to the job redeployed from the checkpoint and running again.
 *   After the restart the job must still hold every key exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restarts, type CheckpointSummary, type JobOptions, type RecoveredEvent, type Runtime } from 'weir';
import type { HeldKeys, MillionKeysParams } from './million-keys.ts';

/** A total of the bid jobs: per auction (and window, for the windowed job). */
interface Total {
  readonly auction: number;
  readonly start?: number;
  readonly count: number;
  readonly sum: number;
}

/** One round of the cost case for one job. */
export interface CheckpointPair {
  /** Records/s without checkpoints, and with one every `CHECKPOINT_INTERVAL_MS`. */
  readonly plain: number;
  readonly checkpointed: number;
  /** Checkpoints completed during the checkpointed run. */
  readonly checkpoints: number;
  /** The longest of them (trigger to last acknowledgement), and the largest (bytes). */
  readonly maxCheckpointMs: number;
  readonly maxBytes: number;
}

export const CHECKPOINT_INTERVAL_MS = 1000;

/** Runs a job to its end; its records/s (from `run` to the last total) and its totals. */
async function timed(runtime: Runtime, job: URL, options: JobOptions, records: number, onCheckpoint?: (s: CheckpointSummary) => void) {
  const t0 = performance.now();
  const handle = await runtime.run(job, { ...options, params: { count: records } });
  if (onCheckpoint) handle.on('checkpoint', onCheckpoint);
  const totals = await handle.collected<Total>('totals');
  await handle.done;
  return { recordsPerSec: records / ((performance.now() - t0) / 1000), totals };
}

/** The totals of the checkpointed run against the plain one's: the same keys and counts, sums to the last bits. */
function checkSame(name: string, plain: readonly Total[], checkpointed: readonly Total[]): void {
  const key = (t: Total) => `${t.start ?? ''} ${t.auction}`;
  const expected = new Map(plain.map((t) => [key(t), t]));
  if (checkpointed.length !== plain.length) throw new Error(`${name}: ${checkpointed.length} totals with checkpoints, ${plain.length} without`);
  for (const t of checkpointed) {
    const e = expected.get(key(t));
    if (!e || e.count !== t.count || Math.abs(e.sum - t.sum) > 1e-9 * Math.abs(e.sum)) {
      throw new Error(`${name}: with checkpoints, ${key(t)} has count ${t.count} sum ${t.sum}; without, ${JSON.stringify(e)}`);
    }
  }
}

/**
 * One round of the cost case: `job` (a bid job, params `{ count }`, totals on `totals`) with and
 * without a checkpoint every second; `checkpointedFirst` alternates the order.
 */
export async function checkpointPair(runtime: Runtime, name: string, job: URL, options: JobOptions, records: number, checkpointedFirst: boolean): Promise<CheckpointPair> {
  const summaries: CheckpointSummary[] = [];
  const checkpointed = () => timed(runtime, job, { ...options, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS }, records, (s) => summaries.push(s));
  const plain = () => timed(runtime, job, options, records);
  const [a, b] = checkpointedFirst ? [await checkpointed(), await plain()] : [await plain(), await checkpointed()];
  const [withCheckpoints, without] = checkpointedFirst ? [a, b] : [b, a];
  checkSame(name, without.totals, withCheckpoints.totals);
  return {
    plain: without.recordsPerSec,
    checkpointed: withCheckpoints.recordsPerSec,
    checkpoints: summaries.length,
    maxCheckpointMs: Math.max(0, ...summaries.map((s) => s.durationMs)),
    maxBytes: Math.max(0, ...summaries.map((s) => s.bytes)),
  };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The rounds of one job's cost case: the median of the per-round ratios (checkpointed to plain records/s), and what the checkpoints were. */
export function checkpointFigures(pairs: readonly CheckpointPair[]) {
  return {
    ratio: Math.round(median(pairs.map((p) => p.checkpointed / p.plain)) * 1000) / 1000,
    plainRecordsPerSec: Math.round(median(pairs.map((p) => p.plain))),
    checkpointedRecordsPerSec: Math.round(median(pairs.map((p) => p.checkpointed))),
    checkpoints: median(pairs.map((p) => p.checkpoints)),
    maxCheckpointMs: Math.round(Math.max(...pairs.map((p) => p.maxCheckpointMs))),
    maxBytes: Math.max(...pairs.map((p) => p.maxBytes)),
  };
}

/** One run of the recovery case. */
export interface Recovery {
  /** The `recovered` event's: from the failure's detection to running again. */
  readonly recoveryMs: number;
  /** From the moment the bench asked for the failure to the `recovered` event (detection included). */
  readonly askedToRecoveredMs: number;
  /** The checkpoint the job restarted from: how long it took, how large it was. */
  readonly checkpointMs: number;
  readonly checkpointBytes: number;
}

const MILLION_KEYS = new URL('./million-keys.js', import.meta.url);

/** Polls the job's figures until its keyed operator has taken every key (a bench may poll; specs may not). */
async function untilHeld(handle: Awaited<ReturnType<Runtime['run']>>, keys: number): Promise<void> {
  for (;;) {
    const hold = (await handle.metrics()).operators.find((o) => o.name.includes('hold'));
    if (hold && hold.recordsIn >= keys) return;
    if (handle.status !== 'running') throw new Error(`the recovery job is ${handle.status} before it held its keys`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * One run of the recovery case on `runtime` (2 free threads): `keys` keys over 2 workers,
 * a checkpoint, a failure `how`, the restart from the checkpoint, and the job's end, every key held once.
 */
export async function recoveryRun(runtime: Runtime, keys: number, how: MillionKeysParams['how']): Promise<Recovery> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-recovery-'));
  try {
    const params: MillionKeysParams = { keys, how, fail: join(dir, 'fail'), failed: join(dir, 'failed'), end: join(dir, 'end') };
    const handle = await runtime.run(MILLION_KEYS, { parallelism: 2, workers: 2, params, restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }) });
    const recovered = new Promise<RecoveredEvent>((resolve) => handle.once('recovered', resolve));
    await untilHeld(handle, keys);
    const checkpoint = await handle.checkpoint();
    const asked = performance.now();
    writeFileSync(params.fail, '');
    const { recoveryMs } = await recovered;
    const askedToRecoveredMs = performance.now() - asked;
    writeFileSync(params.end, '');
    const held = await handle.collected<HeldKeys>('held');
    await handle.done;
    const total = held.reduce((n, h) => n + h.keys, 0);
    const counted = held.reduce((n, h) => n + h.count, 0);
    if (total !== keys || counted !== keys) throw new Error(`recovery (${how}): the restarted job holds ${total} keys counted ${counted} times, expected ${keys} each once`);
    return { recoveryMs, askedToRecoveredMs, checkpointMs: checkpoint.summary.durationMs, checkpointBytes: checkpoint.summary.bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The runs of the recovery case, by how the job failed: medians. */
export function recoveryFigures(runs: readonly Recovery[]) {
  return {
    recoveryMs: Math.round(median(runs.map((r) => r.recoveryMs))),
    askedToRecoveredMs: Math.round(median(runs.map((r) => r.askedToRecoveredMs))),
    checkpointMs: Math.round(median(runs.map((r) => r.checkpointMs))),
    checkpointBytes: median(runs.map((r) => r.checkpointBytes)),
  };
}
