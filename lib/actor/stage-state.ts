import { errors, userError, type SubtaskLocation } from '../errors.ts';
import type { ChainLink } from './chain.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { decodeTime, encodeTime } from '../state/keyed-state-snapshot.ts';
import type { StageSnapshot } from '../checkpoint/checkpoint.ts';

/**
 * The state of one stage of a chain, cut and put back in one place: keyed state (the operator's
 * tables of the actor's backend), timers, the operator's `snapshot()` hook, the stage's watermark.
 * New kinds of state (operator lists, broadcast state) plug in here.
 */

/** A stage and what its state lives in. */
export interface StageState {
  readonly link: ChainLink;
  /** The stage's node: its keyed state is filed under `<node>/` in the actor's backend. */
  readonly node: number;
  readonly keyed: KeyedStateBackend;
  readonly maxParallelism: number;
}

/**
 * The stage's state now, as plain data; undefined for a stage without any (a timestamp assigner, an
 * operator that is neither keyed nor has a `snapshot()` hook): removing it from the job later does
 * not stop a restore.
 */
export function snapshotStage({ link, node, keyed, maxParallelism }: StageState): StageSnapshot | undefined {
  if (link.kind !== 'operator' || (!link.keyed && !link.operator.snapshot)) return undefined;
  const out: StageSnapshot = { watermark: encodeTime(link.watermark.watermark) };
  if (link.keyed) {
    out.keyed = keyed.snapshot(`${node}/`);
    out.timers = { event: link.keyed.timers.event.snapshot(maxParallelism), processing: link.keyed.timers.processing.snapshot(maxParallelism) };
  }
  const { operator } = link;
  if (operator.snapshot) {
    try {
      out.operator = operator.snapshot();
    } catch (cause) {
      throw userError(cause, { ...link.at, while: 'taking its snapshot' });
    }
  }
  return out;
}

/**
 * Puts back the state of `stage` from the snapshots every subtask of the checkpointed run cut (at
 * any parallelism: keyed state and timers of the key groups this subtask owns). The watermark is the
 * lowest of theirs, so that no record the earlier run would have taken counts as late. An operator's
 * own `snapshot()` cannot be split: it is restored at the same parallelism only.
 */
export function restoreStage(stage: StageState, from: readonly (StageSnapshot | undefined)[], at: SubtaskLocation, owns: (keyGroup: number) => boolean): void {
  const { link, node, keyed } = stage;
  if (link.kind !== 'operator') return;
  let watermark = Infinity;
  for (const s of from) {
    if (!s) continue;
    watermark = Math.min(watermark, decodeTime(s.watermark));
    if (s.keyed) keyed.restore(s.keyed, `${node}/`);
    if (s.timers && link.keyed) {
      link.keyed.timers.event.restore(s.timers.event, owns);
      link.keyed.timers.processing.restore(s.timers.processing, owns);
    }
  }
  if (watermark !== Infinity && watermark > link.watermark.watermark) link.watermark.watermark = watermark;
  const own = from.some((s) => s?.operator !== undefined);
  if (!own) return;
  if (from.length !== at.parallelism) {
    throw errors.checkpointMismatch(
      at.job,
      `operator "${at.operator}" keeps state of its own (snapshot()), which cannot be split from parallelism ${from.length} to ${at.parallelism}; run it at parallelism ${from.length}`,
    );
  }
  if (!link.operator.restore) throw errors.checkpointMismatch(at.job, `operator "${at.operator}" has a snapshot of its own in the checkpoint, but no restore()`);
  try {
    link.operator.restore(from[at.subtaskIndex]!.operator);
  } catch (cause) {
    throw userError(cause, { ...at, while: 'restoring its snapshot' });
  }
}
