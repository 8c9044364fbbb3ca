import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { HostMetrics } from './deploy-spec.ts';
import type { JobStatus } from './job-machine.ts';

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
  /** Mailbox slots in all (channels × mailboxCapacity). */
  capacity: number;
  /** Batches waiting for credit on the operator's outputs: a high value means a downstream operator is slow. */
  backlog: number;
  /** How often a source subtask stopped reading because an output had no credit. */
  pauses: number;
  /** Subtasks currently stopped for lack of credit (sources). */
  paused: number;
  /** Keys held in keyed state. */
  keys: number;
  /** Subtask states, e.g. `{ running: 2 }`. */
  subtasks: Record<string, number>;
}

/** One channel, seen from its sender. */
export interface ChannelMetrics {
  from: string;
  to: string;
  /** Most messages that may be in flight. */
  capacity: number;
  inFlight: number;
  /** Highest in-flight count seen: never above `capacity`. */
  maxInFlight: number;
  batchesSent: number;
}

export interface WorkerMetrics {
  worker: number;
  /** The thread hosting this worker's actors (`worker_threads.threadId`): stays the same across the jobs of a `Runtime`. */
  threadId: number;
  heapUsedBytes: number;
  peakHeapBytes: number;
}

/** What `JobHandle.metrics()` returns. */
export interface JobMetrics {
  job: string;
  status: JobStatus;
  elapsedMs: number;
  operators: OperatorMetrics[];
  channels: ChannelMetrics[];
  workers: WorkerMetrics[];
}

/** Sums the hosts' per-actor figures into per-operator figures. */
export function aggregateMetrics(
  plan: PhysicalPlan,
  hosts: readonly HostMetrics[],
  status: JobStatus,
  elapsedMs: number,
): JobMetrics {
  const operators: OperatorMetrics[] = plan.chains.map((c) => ({
    name: c.name,
    parallelism: c.parallelism,
    source: c.isSource,
    recordsIn: 0,
    recordsOut: 0,
    queued: 0,
    capacity: 0,
    backlog: 0,
    pauses: 0,
    paused: 0,
    keys: 0,
    subtasks: {},
  }));
  const channels: ChannelMetrics[] = [];
  for (const host of hosts) {
    for (const a of host.actors) {
      const op = operators[a.chain]!;
      op.recordsIn += a.recordsIn;
      op.recordsOut += a.recordsOut;
      op.queued += a.queued;
      op.capacity += a.capacity;
      op.backlog += a.backlog;
      op.pauses += a.pauses;
      op.paused += a.paused ? 1 : 0;
      op.keys += a.keys;
      op.subtasks[a.status] = (op.subtasks[a.status] ?? 0) + 1;
      const from = `${op.name} ${a.index + 1}/${op.parallelism}`;
      for (const c of a.channels) channels.push({ from, ...c });
    }
  }
  const workers = hosts.map(({ worker, threadId, heapUsedBytes, peakHeapBytes }) => ({ worker, threadId, heapUsedBytes, peakHeapBytes }));
  return { job: plan.job, status, elapsedMs, operators, channels, workers };
}
