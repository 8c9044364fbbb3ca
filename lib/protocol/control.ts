import type { MessagePort } from 'node:worker_threads';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { SerializedError } from './error-wire.ts';
import type { ActorSnapshot } from '../checkpoint/checkpoint.ts';
import type { WireCheckpoint } from '../checkpoint/serialized-stage.ts';
import type { SubtaskLocation } from '../errors.ts';
import type { JsonValue } from '../util/json.ts';

/**
 * The control plane between the coordinator and a worker's host, over comlink: what the coordinator
 * sends to deploy a worker's share of a job, and what it may call there. Data never travels here;
 * live figures neither (they are on the worker's metrics board, in shared memory).
 */

/** What the coordinator sends a worker host to deploy its share of a job. */
export interface DeploySpec {
  readonly moduleUrl: string;
  readonly params: unknown;
  /** The run's identity (see `OperatorContext.jobId`): the coordinator's, the same for every attempt. */
  readonly jobId: string;
  /** Every decision about the job: the host reads its subtasks, channels and bounds from it. */
  readonly plan: PhysicalPlan;
  /** The coordinator's graph, line by line, to compare with the worker's own build. */
  readonly graph: readonly string[];
  readonly fingerprint: string;
  readonly workerIndex: number;
  /** Records a source subtask reads per step. */
  readonly batchSize: number;
  readonly bufferTimeoutMs: number;
  readonly watermarkIntervalMs: number;
  readonly checkRecords: boolean;
  /**
   * The processing time of the job's workers: the system clock, or, when the job runs on a
   * ManualClock (tests), a manual clock of their own starting at `now`, moved by `advanceClock`.
   */
  readonly clock: { readonly manual: false } | { readonly manual: true; readonly now: number };
  /** One shared counter per source node (by node id), behind `SourceContext.nextSplit`. */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  /** The worker's metrics board (see metrics/board.ts). */
  readonly board: SharedArrayBuffer;
  /** This worker's end of each channel that crosses threads, by channel id. */
  readonly ports: Readonly<Record<number, MessagePort>>;
  /** The checkpoint the job starts from: each actor takes its share. */
  readonly restore?: WireCheckpoint;
  /** Poison records the actors pass over: digests of their values by operator key (see supervision/poison-records.ts). */
  readonly poison?: Readonly<Record<string, readonly string[]>>;
}

/** What a source reader sends to the dead letters (`SourceContext.deadLetter`), with where it came from. */
export interface SourceDeadLetter {
  readonly record: JsonValue;
  readonly reason: string;
  /** Unique within the job: the source's node and the reader's key, to drop a replay's copy. */
  readonly key: string;
  readonly at: SubtaskLocation;
}

/**
 * What a host tells the coordinator unasked, on its control port beside comlink's calls (which
 * ignores messages without its ids): a source's dead letter.
 */
export type HostEvent = { readonly weir: 'dead-letter'; readonly letter: SourceDeadLetter };

/** How a host's share of the job ended. */
export type HostOutcome = { readonly status: 'finished' } | { readonly status: 'failed'; readonly error: SerializedError };

/** The control-plane interface a worker host exposes over comlink. */
export interface HostApi {
  deploy(spec: DeploySpec): Promise<void>;
  start(): void;
  /** Resolves once every local actor finished, or at the first failure. */
  completion(): Promise<HostOutcome>;
  cancel(): void;
  /** Releases the host: its piscina task returns. */
  shutdown(): void;
  /** Moves a manual clock to `now` (the job runs on a ManualClock), running what falls due. */
  advanceClock(now: number): void;
  /**
   * Checkpoint `id`: the worker's source subtasks inject its barrier; resolves with the snapshots of
   * every actor of the worker once each has cut its state. Rejects if a subtask can no longer take
   * part (a source that has stopped reading, an actor that finished before its barrier came). With
   * `stop`, it is the job's final checkpoint (`JobHandle.stop`): each source subtask reads nothing
   * after injecting its barrier.
   */
  checkpoint(id: number, stop?: boolean): Promise<ActorSnapshot[]>;
  /** The final checkpoint `id` did not complete (or was not kept): the source subtasks it stopped read on. */
  resumeSources(id: number): void;
  /** The coordinator abandoned checkpoint `id`: snapshots of it, now or later, are dropped. */
  abortCheckpoint(id: number): void;
  /** Checkpoint `id` completed: two-phase sinks commit, source readers acknowledge what it covers. */
  checkpointComplete(id: number): void;
}
