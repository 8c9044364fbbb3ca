import type { CheckpointSummary } from '../checkpoint/checkpoint.ts';
import { subtaskName, type PhysicalPlan } from '../plan/physical-plan.ts';
import type { JobStatus } from './job-machine.ts';
import type { WorkerFigures } from '../metrics/board.ts';

/** One operator chain (one actor per subtask), summed over its subtasks. */
export interface OperatorMetrics {
  /** Names of the chained operators, e.g. `generate → map`. */
  name: string;
  parallelism: number;
  /** True for a chain that starts at a source. */
  source: boolean;
  /** Records taken from the mailbox (for a source: records read). */
  recordsIn: number;
  /** Records sent to downstream channels. */
  recordsOut: number;
  /** Input messages waiting in the subtasks' mailboxes: a high value means this operator is the bottleneck. */
  queued: number;
  /** The most messages its input channels held, summed over channels and subtasks: never above `capacity`. */
  maxQueued: number;
  /** Mailbox slots in all (the capacities of its input channels). */
  capacity: number;
  /** Batches waiting for credit on the operator's outputs: a high value means a downstream operator is slow. */
  backlog: number;
  /** How often a source subtask stopped reading because an output had no credit. */
  pauses: number;
  /** Subtasks currently stopped for lack of credit (sources). */
  paused: number;
  /** Keys held in keyed state. */
  keys: number;
  /** Records that came after their window closed (counted by window operators; sent to the late side output if there is one). */
  lateRecords: number;
  /** The operator's input watermark: the lowest over its subtasks (−Infinity before the first, or without event time). */
  watermark: number;
  /**
   * The newest event time its `withTimestamps` stage gave a record: the highest over its subtasks
   * (−Infinity without such a stage). How far a watermark trails it is the event-time lag.
   */
  eventTime: number;
  /** Subtask states, e.g. `{ running: 2 }`. */
  subtasks: Record<string, number>;
}

/** One channel, seen from its sender. */
export interface ChannelMetrics {
  from: string;
  to: string;
  /** `local` (same thread), `port` (between threads) or `egress` (to your process). */
  kind: 'local' | 'port' | 'egress';
  /** Most messages that may be in flight. */
  capacity: number;
  inFlight: number;
  /** Highest in-flight count seen: never above `capacity`. */
  maxInFlight: number;
  batchesSent: number;
  /** Messages waiting for credit at the sender. */
  backlog: number;
  /** Longest backlog seen: at most one batch and one control message. */
  maxBacklog: number;
}

export interface WorkerMetrics {
  worker: number;
  /** The thread hosting this worker's actors (`worker_threads.threadId`): stays the same across the jobs of a `Runtime`. */
  threadId: number;
  heapUsedBytes: number;
  peakHeapBytes: number;
  /**
   * Set while the worker has been inside one step of one actor for a second or more (user code
   * that loops, or blocks): the actor's operators (a chain's names, as in `operators`), its subtask,
   * and for how long, on the system clock. A step is normally one batch: milliseconds.
   */
  stuck?: { operator: string; subtask: string; forMs: number };
}

/** What `JobHandle.metrics()` returns. */
export interface JobMetrics {
  job: string;
  status: JobStatus;
  elapsedMs: number;
  operators: OperatorMetrics[];
  channels: ChannelMetrics[];
  workers: WorkerMetrics[];
  /** The newest completed checkpoint, once there is one. */
  lastCheckpoint?: CheckpointSummary;
}

/** How long a step may run before the worker is reported as stuck in it. */
export const STUCK_AFTER_MS = 1000;

/** Sums the workers' per-actor figures into per-operator figures; `now` is the system clock's, as the workers' steps are timed. */
export function jobMetrics(plan: PhysicalPlan, workers: readonly WorkerFigures[], status: JobStatus, elapsedMs: number, now: number): JobMetrics {
  const operators: OperatorMetrics[] = plan.chains.map((c) => ({
    name: c.name,
    parallelism: c.parallelism,
    source: c.isSource,
    recordsIn: 0,
    recordsOut: 0,
    queued: 0,
    maxQueued: 0,
    capacity: 0,
    backlog: 0,
    pauses: 0,
    paused: 0,
    keys: 0,
    lateRecords: 0,
    watermark: Infinity,
    eventTime: -Infinity,
    subtasks: {},
  }));
  const channels: ChannelMetrics[] = [];
  for (const worker of workers) {
    for (const a of worker.actors) {
      const op = operators[a.ref.chain]!;
      op.recordsIn += a.recordsIn;
      op.recordsOut += a.recordsOut;
      op.queued += a.queued;
      op.maxQueued += a.maxQueued;
      op.capacity += a.capacity;
      op.backlog += a.backlog;
      op.pauses += a.pauses;
      op.paused += a.paused ? 1 : 0;
      op.keys += a.keys;
      op.lateRecords += a.lateRecords;
      op.watermark = Math.min(op.watermark, a.watermark);
      op.eventTime = Math.max(op.eventTime, a.eventTime);
      op.subtasks[a.status] = (op.subtasks[a.status] ?? 0) + 1;
      for (const { plan: c, inFlight, maxInFlight, batchesSent, backlog, maxBacklog } of a.channels) {
        channels.push({ from: c.fromName, to: c.toName, kind: c.kind, capacity: c.capacity, inFlight, maxInFlight, batchesSent, backlog, maxBacklog });
      }
    }
  }
  for (const op of operators) if (op.watermark === Infinity && op.subtasks.finished === undefined) op.watermark = -Infinity;
  return {
    job: plan.job,
    status,
    elapsedMs,
    operators,
    channels,
    workers: workers.map(({ worker, threadId, heapUsedBytes, peakHeapBytes, step }) => {
      const forMs = step ? now - step.startedAt : 0;
      const chain = step ? plan.chains[step.actor.chain]! : undefined;
      return {
        worker,
        threadId,
        heapUsedBytes,
        peakHeapBytes,
        ...(step && chain && forMs >= STUCK_AFTER_MS
          ? { stuck: { operator: chain.name, subtask: subtaskName(chain, step.actor.index).slice(chain.name.length + 1), forMs: Math.round(forMs) } }
          : {}),
      };
    }),
  };
}
