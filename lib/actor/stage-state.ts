import { errors, userError, type SubtaskLocation } from '../errors.ts';
import type { ChainLink } from './chain.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { decodeTime, encodeTime } from '../state/keyed-state-snapshot.ts';
import type { StageSnapshot } from '../checkpoint/checkpoint.ts';
import { OperatorStateBackend } from '../state/operator-state-backend.ts';
import { BroadcastStateBackend } from '../state/broadcast-state-backend.ts';
import { serializeStage, type SerializedStage, type StageCut } from '../checkpoint/serialized-stage.ts';

/**
 * The state of one stage of a chain, cut and put back in one place: keyed state (the operator's
 * tables of the actor's backend), timers, the operator's `snapshot()` hook, the stage's watermark,
 * the operator's state of no key (lists and broadcast maps, `ctx.operatorState`). New kinds of state
 * plug in here.
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
 * The stage's state now, serialized; undefined for a stage without any (a timestamp assigner, an
 * operator that is neither keyed nor has a `snapshot()` hook): removing it from the job later does
 * not stop a restore.
 */
export function snapshotStage({ link, node, keyed, maxParallelism }: StageState, checkpointId: number): SerializedStage | undefined {
  if (link.kind !== 'operator') return undefined;
  const { operator } = link;
  let own: unknown;
  // The operator's hook first: it may write its lists (`ctx.operatorState`) as Flink's snapshotState does.
  if (operator.snapshot) {
    try {
      own = operator.snapshot(checkpointId);
    } catch (cause) {
      throw userError(cause, { ...link.at, while: 'taking its snapshot' });
    }
  }
  const operatorState = link.operatorState?.snapshot();
  const hasOperatorState = operatorState !== undefined && (Object.keys(operatorState.lists).length > 0 || Object.keys(operatorState.broadcast).length > 0);
  if (!link.keyed && !operator.snapshot && !hasOperatorState) return undefined;
  const out: StageCut = { watermark: encodeTime(link.watermark.watermark) };
  if (hasOperatorState) out.operatorState = operatorState;
  if (link.keyed) {
    out.keyed = keyed.snapshotColumns(`${node}/`);
    out.timers = { event: link.keyed.timers.event.snapshot(maxParallelism), processing: link.keyed.timers.processing.snapshot(maxParallelism) };
  }
  if (operator.snapshot) out.operator = own;
  // A copy, cut now: the snapshot waits on the worker until every actor has cut its own, and state
  // values are often objects the operator goes on changing in place (a buffer it pushes to). The
  // copy is the serialized form the coordinator receives (see serialized-stage.ts).
  try {
    return serializeStage(out);
  } catch (cause) {
    throw userError(cause, { ...link.at, while: 'copying its snapshot (state must be plain data)' });
  }
}

/**
 * Puts back the state of `stage` from the snapshots every subtask of the checkpointed run cut (at
 * any parallelism: keyed state and timers of the key groups this subtask owns). The watermark is the
 * lowest of theirs, so that no record the earlier run would have taken counts as late. An operator's
 * own `snapshot()` cannot be split: it is restored at the same parallelism only.
 */
export function restoreStage(stage: StageState, from: readonly (StageCut | undefined)[], at: SubtaskLocation, owns: (keyGroup: number) => boolean): void {
  const { link, node, keyed } = stage;
  if (link.kind !== 'operator') return;
  let watermark = Infinity;
  for (const s of from) {
    if (!s) continue;
    watermark = Math.min(watermark, decodeTime(s.watermark));
    if (s.keyed) keyed.restoreColumns(s.keyed, `${node}/`);
    if (s.timers && link.keyed) {
      link.keyed.timers.event.restore(s.timers.event, owns);
      link.keyed.timers.processing.restore(s.timers.processing, owns);
    }
  }
  if (watermark !== Infinity && watermark > link.watermark.watermark) link.watermark.watermark = watermark;
  if (link.operatorState && from.some((s) => s?.operatorState !== undefined)) {
    // Lists: every old subtask's elements, dealt out evenly over the new ones (nothing lost or
    // repeated). Broadcast maps: alike on every old subtask, so any one copy serves.
    const lists = from.map((s) => s?.operatorState?.lists ?? {});
    const broadcast = from.map((s) => s?.operatorState?.broadcast ?? {});
    link.operatorState.restore({
      lists: OperatorStateBackend.redistribute(lists, at.subtaskIndex, at.parallelism),
      broadcast: BroadcastStateBackend.redistribute(broadcast, at.subtaskIndex, at.parallelism),
    });
  }
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
