import type { KeyedStateSnapshot } from '../state/keyed-state-snapshot.ts';
import type { SnapshotTime } from '../state/keyed-state-snapshot.ts';
import type { TimerSnapshot } from '../state/timer-queue.ts';
import type { JsonValue } from '../util/json.ts';
import type { OperatorStoreSnapshot } from '../state/operator-state-store.ts';
import type { WireSubtaskState } from './serialized-stage.ts';

/**
 * Checkpoints as plain data. A completed checkpoint holds, per operator (by `uid`, else `node-<id>`)
 * and per subtask, everything that decides the job's future output: keyed state and timers split by
 * key group (so that a job at another parallelism takes the groups each subtask owns), the
 * operator's own `snapshot()`, its watermark; and per source subtask the reader's offset, with the
 * source's split counter. It survives `structuredClone` (and JSON, as long as the state's values do).
 */

/** One operator stage of one subtask, cut when the barrier passed it. */
export interface StageSnapshot {
  /** Keyed state by state name (without the operator's prefix), each by key group. */
  keyed?: KeyedStateSnapshot;
  /** Keyed timers by time domain, each by key group. */
  timers?: { event: TimerSnapshot; processing: TimerSnapshot };
  /** What the operator's `snapshot()` hook returned, if it has one. */
  operator?: unknown;
  /** Its state of no key (`ctx.operatorState`): lists dealt out again on rescaling, broadcast maps copied. */
  operatorState?: OperatorStoreSnapshot;
  /** The stage's input watermark (±Infinity written as a string). */
  watermark: SnapshotTime;
}

/**
 * The state of one subtask of one operator: a stage, or a source reader's position. A subtask that
 * had finished when the checkpoint was taken (Flink's finished tasks) is recorded as such: a source
 * with its offset at the end and `finished`, an operator as `finished` with no state (it emitted
 * everything, close() included). Restored, such a subtask starts finished: it sends its end at once.
 */
export type SubtaskState =
  | { readonly kind: 'stage'; readonly stage: StageSnapshot }
  | {
      readonly kind: 'source';
      readonly offset: JsonValue;
      readonly finished?: true;
      /** Unfinished splits of an earlier run at another parallelism, dealt to this subtask and not yet resumed (readers' offsets). */
      readonly pending?: JsonValue[];
    }
  | { readonly kind: 'finished' };

/** One operator's state in a checkpoint. */
export interface OperatorCheckpoint {
  /** The operator's display name, for messages. */
  readonly name: string;
  readonly node: number;
  readonly uid?: string;
  readonly parallelism: number;
  /** By subtask index. */
  readonly subtasks: SubtaskState[];
}

/**
 * A shared split counter as plain data: claims hand out `returned` in order (splits claimed after
 * their claimer's barrier, which the checkpoint does not cover), then `next`, `next + 1`, ….
 */
export interface SplitCounterState {
  readonly returned: number[];
  readonly next: number;
}

/** What one actor reported for a checkpoint: its operators' states, and how long it aligned. */
export interface ActorSnapshot {
  readonly checkpointId: number;
  /** The actor's place among its worker's actors. */
  readonly slot: number;
  /** The chain's index in the plan, and the subtask. */
  readonly chain: number;
  readonly index: number;
  readonly name: string;
  /** By operator key (`uid`, else `node-<id>`), in chain order. */
  readonly states: readonly { readonly key: string; readonly node: number; readonly name: string; readonly state: WireSubtaskState }[];
  /** Milliseconds from the first barrier to the last one on its input channels (0 with one input). */
  readonly alignmentMs: number;
  /** Size of the snapshot in bytes: its stages serialized, the rest as JSON. */
  readonly bytes: number;
}

/** A completed checkpoint: give it to `run(module, { restoreFrom })`. */
export interface CompletedCheckpoint {
  readonly format: 'weir-checkpoint';
  readonly version: 1;
  readonly job: string;
  readonly id: number;
  /** On the job's clock. */
  readonly triggeredAt: number;
  readonly completedAt: number;
  readonly maxParallelism: number;
  /** By operator key (`uid`, else `node-<id>`). */
  readonly operators: Record<string, OperatorCheckpoint>;
  /** By source operator key. */
  readonly splits: Record<string, SplitCounterState>;
  readonly summary: CheckpointSummary;
}

/** What the `checkpoint` event and `metrics()` report of a completed checkpoint. */
export interface CheckpointSummary {
  readonly id: number;
  /** From trigger to the last acknowledgement, on the job's clock. */
  readonly durationMs: number;
  /** Sum of the actors' snapshot sizes, in bytes (stages as V8 serializes them). */
  readonly bytes: number;
  /** Per actor (e.g. `keyed-sum (2/4)`): how long it held channels while aligning barriers. */
  readonly alignmentMs: Record<string, number>;
}

/** The key a checkpoint files an operator's state under. */
export const operatorKey = (node: { readonly id: number; readonly uid?: string | undefined }): string => (node.uid !== undefined ? `uid:${node.uid}` : `node-${node.id}`);
