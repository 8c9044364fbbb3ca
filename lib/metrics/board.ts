import type { ChannelPlan, PhysicalPlan, SubtaskRef } from '../plan/physical-plan.ts';

/**
 * Live figures of one worker, in shared memory. The worker's actors write their counters here at
 * the end of every scheduler slice; the coordinator reads them whenever `metrics()` is asked, with no
 * message and no wait: the answer costs microseconds, allocates nothing on the worker, and comes
 * even while the worker is stuck in user code (its figures then say since when, and where).
 *
 * Each value is written whole by one thread; a reader may see figures from slightly different
 * moments, never a torn number (aligned 8-byte stores).
 */

/** The worker's own fields. */
const WORKER = {
  /** Slices published so far. */
  published: 0,
  heapUsed: 1,
  peakHeap: 2,
  threadId: 3,
  /** When the step now running began (Clock time). */
  stepStartedAt: 4,
  /** Which of the worker's actors runs that step, plus one: 0 between steps. */
  stepActor: 5,
} as const;
const WORKER_FIELDS = 6;

/** Each actor's fields. */
export const ACTOR = {
  status: 0,
  recordsIn: 1,
  recordsOut: 2,
  queued: 3,
  maxQueued: 4,
  capacity: 5,
  backlog: 6,
  pauses: 7,
  paused: 8,
  keys: 9,
  /** Records that came after their window closed. */
  lateRecords: 10,
  /** The input watermark (−Infinity before the first). */
  watermark: 11,
  /** The newest timestamp its `withTimestamps` stage gave a record (−Infinity without one). */
  eventTime: 12,
} as const;
const ACTOR_FIELDS = 13;

/** Each output channel's fields. */
export const CHANNEL = {
  inFlight: 0,
  maxInFlight: 1,
  batchesSent: 2,
  backlog: 3,
  maxBacklog: 4,
} as const;
const CHANNEL_FIELDS = 5;

/** Actor states, as numbers on the board. */
export const STATUSES = ['created', 'running', 'finishing', 'finished', 'failed', 'cancelled'] as const;
export type ActorStatus = (typeof STATUSES)[number];

/** Where one actor's figures live on its worker's board. */
export interface ActorSlot {
  readonly ref: SubtaskRef;
  readonly offset: number;
  /** Its output channels, in the order of its writers. */
  readonly channels: readonly ChannelPlan[];
}

/** The board of one worker: a pure function of the plan, so the worker and the coordinator agree on it. */
export interface BoardLayout {
  readonly actors: readonly ActorSlot[];
  /** Float64 values in all. */
  readonly size: number;
}

export function boardLayout(plan: PhysicalPlan, worker: number): BoardLayout {
  const actors: ActorSlot[] = [];
  let offset = WORKER_FIELDS;
  for (const chain of plan.chains) {
    for (let index = 0; index < chain.parallelism; index++) {
      if (chain.workers[index] !== worker) continue;
      const channels = plan.channels.filter((c) => c.from.chain === chain.id && c.from.index === index);
      actors.push({ ref: { chain: chain.id, index }, offset, channels });
      offset += ACTOR_FIELDS + CHANNEL_FIELDS * channels.length;
    }
  }
  return { actors, size: offset };
}

/** A new board for a worker, to hand over with its deployment. */
export const newBoard = (layout: BoardLayout): SharedArrayBuffer => new SharedArrayBuffer(layout.size * Float64Array.BYTES_PER_ELEMENT);

/** One actor's part of the board, for the actor to write. */
export class ActorBoard {
  constructor(
    private readonly values: Float64Array,
    private readonly offset: number,
  ) {}

  set(field: number, value: number): void {
    this.values[this.offset + field] = value;
  }

  setChannel(channel: number, field: number, value: number): void {
    this.values[this.offset + ACTOR_FIELDS + channel * CHANNEL_FIELDS + field] = value;
  }
}

/** The worker's side of its board. */
export class WorkerBoard {
  readonly #values: Float64Array;

  constructor(
    buffer: SharedArrayBuffer,
    readonly layout: BoardLayout,
  ) {
    this.#values = new Float64Array(buffer);
  }

  actor(i: number): ActorBoard {
    return new ActorBoard(this.#values, this.layout.actors[i]!.offset);
  }

  stepStarted(actor: number, at: number): void {
    this.#values[WORKER.stepStartedAt] = at;
    this.#values[WORKER.stepActor] = actor + 1;
  }

  stepsEnded(): void {
    this.#values[WORKER.stepActor] = 0;
  }

  worker(threadId: number, heapUsed: number, peakHeap: number): void {
    const v = this.#values;
    v[WORKER.threadId] = threadId;
    v[WORKER.heapUsed] = heapUsed;
    v[WORKER.peakHeap] = peakHeap;
    v[WORKER.published]!++;
  }
}

/** One actor's figures as read from the board. */
export interface ActorFigures {
  readonly ref: SubtaskRef;
  readonly status: ActorStatus;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly queued: number;
  readonly maxQueued: number;
  readonly capacity: number;
  readonly backlog: number;
  readonly pauses: number;
  readonly paused: boolean;
  readonly keys: number;
  readonly lateRecords: number;
  readonly watermark: number;
  readonly eventTime: number;
  readonly channels: readonly (Record<keyof typeof CHANNEL, number> & { readonly plan: ChannelPlan })[];
}

/** One worker's figures as read from the board. */
export interface WorkerFigures {
  readonly worker: number;
  readonly published: number;
  readonly threadId: number;
  readonly heapUsedBytes: number;
  readonly peakHeapBytes: number;
  /** The step running now, if one is: which actor, since when (Clock time). */
  readonly step?: { readonly actor: SubtaskRef; readonly startedAt: number };
  readonly actors: readonly ActorFigures[];
}

/** Reads a worker's board (the coordinator's side). */
export function readBoard(buffer: SharedArrayBuffer, layout: BoardLayout, worker: number): WorkerFigures {
  const v = new Float64Array(buffer);
  const actors = layout.actors.map(({ ref, offset, channels }): ActorFigures => {
    const at = (field: number) => v[offset + field]!;
    return {
      ref,
      status: STATUSES[at(ACTOR.status)] ?? 'created',
      recordsIn: at(ACTOR.recordsIn),
      recordsOut: at(ACTOR.recordsOut),
      queued: at(ACTOR.queued),
      maxQueued: at(ACTOR.maxQueued),
      capacity: at(ACTOR.capacity),
      backlog: at(ACTOR.backlog),
      pauses: at(ACTOR.pauses),
      paused: at(ACTOR.paused) === 1,
      keys: at(ACTOR.keys),
      lateRecords: at(ACTOR.lateRecords),
      watermark: at(ACTOR.watermark),
      eventTime: at(ACTOR.eventTime),
      channels: channels.map((plan, c) => {
        const base = offset + ACTOR_FIELDS + c * CHANNEL_FIELDS;
        return {
          plan,
          inFlight: v[base + CHANNEL.inFlight]!,
          maxInFlight: v[base + CHANNEL.maxInFlight]!,
          batchesSent: v[base + CHANNEL.batchesSent]!,
          backlog: v[base + CHANNEL.backlog]!,
          maxBacklog: v[base + CHANNEL.maxBacklog]!,
        };
      }),
    };
  });
  const startedAt = v[WORKER.stepStartedAt]!;
  const stepActor = layout.actors[v[WORKER.stepActor]! - 1];
  return {
    worker,
    published: v[WORKER.published]!,
    threadId: v[WORKER.threadId]!,
    heapUsedBytes: v[WORKER.heapUsed]!,
    peakHeapBytes: v[WORKER.peakHeap]!,
    ...(stepActor ? { step: { actor: stepActor.ref, startedAt } } : {}),
    actors,
  };
}
