import { deserialize, serialize } from 'node:v8';
import type { SnapshotTime } from '../state/keyed-state-snapshot.ts';
import type { CompletedCheckpoint, OperatorCheckpoint, StageSnapshot, SubtaskState } from './checkpoint.ts';
import { packKeyed, unpackKeyed, type PackedKeyedState } from './packed-keyed-state.ts';
import { columnsToSnapshot, snapshotToColumns, type KeyedStateColumns } from '../state/keyed-state-columns.ts';

/**
 * A stage's snapshot as it crosses threads: serialized once, with V8's serializer, where the barrier
 * cuts it, its keyed state in packed columns (see packed-keyed-state.ts). The serializer's
 * pass is the copy the cut needs (the operator goes on changing its state in place), and its length
 * is the snapshot's size: a `structuredClone` to copy, a `JSON.stringify` to measure and the
 * message's own clone to the coordinator cost three passes over every key.
 *
 * The coordinator keeps the bytes. The stage the public checkpoint shows (`SubtaskState`) is read
 * from them on first access only, so a checkpoint nobody looks at is never decoded on the main
 * thread; a restart sends the bytes (a memory copy) and each subtask decodes only the old subtasks
 * whose key groups it owns, when nothing else in them must be dealt out.
 */
export interface SerializedStage {
  readonly kind: 'serialized-stage';
  /** `v8.serialize` of the `StageCut`, its keyed columns packed. */
  readonly bytes: Uint8Array;
  /** The stage's watermark, outside the bytes: a restore takes the lowest of every old subtask's. */
  readonly watermark: SnapshotTime;
  /** Only keyed state and timers (split by key group): a subtask owning none of its groups may skip it. */
  readonly keyedOnly: boolean;
}

/** A subtask's state as workers send it and as a restarted attempt receives it. */
export type WireSubtaskState = SubtaskState | SerializedStage;

/** A checkpoint as a restarted attempt's workers receive it: stages still serialized where the coordinator kept their bytes. */
export type WireCheckpoint = Omit<CompletedCheckpoint, 'operators'> & {
  readonly operators: Record<string, Omit<OperatorCheckpoint, 'subtasks'> & { readonly subtasks: WireSubtaskState[] }>;
};

/** A stage's snapshot as the barrier cuts it and a restore takes it: its keyed state in columns (see `StateColumns`). */
export type StageCut = Omit<StageSnapshot, 'keyed'> & { keyed?: KeyedStateColumns };

/** What the bytes hold: the stage with its keyed columns packed. */
type PackedStage = Omit<StageSnapshot, 'keyed'> & { keyed?: PackedKeyedState };

/** Serializes a stage's snapshot at the barrier; throws the serializer's error for state that is not plain data. */
export function serializeStage(stage: StageCut): SerializedStage {
  const { keyed, ...rest } = stage;
  const packed: PackedStage = keyed === undefined ? rest : { ...rest, keyed: packKeyed(keyed) };
  return {
    kind: 'serialized-stage',
    bytes: serialize(packed),
    watermark: stage.watermark,
    keyedOnly: stage.operator === undefined && stage.operatorState === undefined,
  };
}

/** The stage in `bytes`, its keyed state in columns. */
export function deserializeStage(s: SerializedStage): StageCut {
  const { keyed, ...rest } = deserialize(s.bytes) as PackedStage;
  return keyed === undefined ? rest : { ...rest, keyed: unpackKeyed(keyed) };
}

/** The stage in `bytes` as plain data (the public checkpoint's). */
function plainStage(s: SerializedStage): StageSnapshot {
  const { keyed, ...rest } = deserializeStage(s);
  return keyed === undefined ? rest : { ...rest, keyed: columnsToSnapshot(keyed) };
}

/** The bytes behind each stage state the coordinator made with `storedStage`. */
const stored = new WeakMap<object, SerializedStage>();

/**
 * The public view of a serialized stage: `stage` is decoded on first read (by the caller, by
 * `JSON.stringify`, by `structuredClone`) and kept. The view is read-only in spirit: a change made
 * to the decoded object does not reach the bytes a restart sends.
 */
export function storedStage(s: SerializedStage): SubtaskState {
  let stage: StageSnapshot | undefined;
  const state = { kind: 'stage' } as { kind: 'stage'; stage: StageSnapshot };
  Object.defineProperty(state, 'stage', { enumerable: true, get: () => (stage ??= plainStage(s)) });
  stored.set(state, s);
  return state;
}

/** `checkpoint` for the workers: every stage the coordinator holds the bytes of goes as those bytes (no stage is decoded here). */
export function toWire(checkpoint: CompletedCheckpoint): WireCheckpoint {
  const operators: WireCheckpoint['operators'] = {};
  for (const [key, op] of Object.entries(checkpoint.operators)) {
    operators[key] = { ...op, subtasks: op.subtasks.map((s) => (s === undefined ? s : (stored.get(s) ?? s))) };
  }
  return { ...checkpoint, operators };
}

/**
 * The stage of old subtask `s` for a restore; `needed` false (none of its key groups is owned here)
 * gives only its watermark when that is all a restore would take from it.
 */
export function restoredStage(s: WireSubtaskState | undefined, needed: boolean): StageCut | undefined {
  if (s?.kind === 'stage') {
    const { keyed, ...rest } = s.stage;
    return keyed === undefined ? rest : { ...rest, keyed: snapshotToColumns(keyed) };
  }
  if (s?.kind !== 'serialized-stage') return undefined;
  return needed || !s.keyedOnly ? deserializeStage(s) : { watermark: s.watermark };
}
