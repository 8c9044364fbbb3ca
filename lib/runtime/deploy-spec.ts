import type { MessagePort } from 'node:worker_threads';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { SerializedError } from './serialized-error.ts';
import type { ActorMetrics } from '../actor/subtask-actor.ts';

/** What the coordinator sends a worker host to deploy its share of a job. */
export interface DeploySpec {
  readonly moduleUrl: string;
  readonly params: unknown;
  readonly plan: PhysicalPlan;
  /** The coordinator's graph, line by line, to compare with the worker's own build. */
  readonly graph: readonly string[];
  readonly fingerprint: string;
  readonly workerIndex: number;
  readonly mailboxCapacity: number;
  readonly collectCapacity: number;
  readonly batchSize: number;
  readonly bufferTimeoutMs: number;
  /** One shared counter per source node (by node id), behind `SourceContext.nextSplit`. */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  /** This worker's end of each channel that crosses threads, by channel id. */
  readonly ports: Readonly<Record<number, MessagePort>>;
}

/** How a host's share of the job ended. */
export type HostOutcome = { readonly status: 'finished' } | { readonly status: 'failed'; readonly error: SerializedError };

export interface HostMetrics {
  readonly worker: number;
  readonly threadId: number;
  readonly heapUsedBytes: number;
  /** Highest heap use sampled while the job ran. */
  readonly peakHeapBytes: number;
  readonly actors: ActorMetrics[];
}

/** The control-plane interface a worker host exposes over comlink. */
export interface HostApi {
  deploy(spec: DeploySpec): Promise<void>;
  start(): void;
  /** Resolves once every local actor finished, or at the first failure. */
  completion(): Promise<HostOutcome>;
  metrics(): HostMetrics;
  cancel(): void;
  /** Releases the host: its piscina task returns. */
  shutdown(): void;
}
