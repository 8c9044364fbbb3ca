import type { Flow } from '../channel/channel-writer.ts';
import type { SubtaskLocation } from '../errors.ts';
import type { Collector } from '../operator/operator.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import { specialize } from '../util/specialize.ts';
import type { PendingInput, RecordTime } from './pending-input.ts';

/** What follows a stage: the next stage, or the end of the chain, which hands signals to the outputs. */
export interface Downstream extends Collector<unknown> {
  signal(signal: ControlMessage): void;
  /** True while nothing waits in front of this stage: a record may run through it now. */
  readonly idle: boolean;
  /** Sets a record aside behind what waits (with the current record time), to run when that has. */
  setAside(record: unknown): void;
}

/** What a stage does: with a record, and with a signal once everything before it has passed. */
export interface StageBody {
  /** Runs a record through this stage and on (callers check the flow). */
  readonly process: (record: unknown) => void;
  /** What the stage before calls. */
  readonly collect: (record: unknown) => void;
  /**
   * Handles a signal (a watermark fires timers and windows; the end also closes the operator) and
   * passes it on. Returns false if an output stalled first: it is handled on from there later.
   */
  handle(signal: ControlMessage): boolean;
  /** Processing time reached `now`: fire what is due. False if an output stalled first. */
  processingTime?(now: number): boolean;
  /** The earliest processing time at which the stage has something to do, if any. */
  nextProcessingTime?(): number | undefined;
  /** For an assigner: the newest timestamp it gave a record (−Infinity before the first). */
  eventTime?(): number;
}

/**
 * Runs an array through a stage until the flow stalls; the rest is set aside with a cursor.
 * `done` runs once every record has moved on, now or when the rest is drained.
 */
const collectArray =
  (process: (record: unknown) => void, flow: Flow, pending: PendingInput) =>
  (records: readonly unknown[], done?: () => void): void => {
    for (let i = 0; i < records.length; i++) {
      if (flow.stalled !== 0) {
        pending.records(records, i, done);
        return;
      }
      process(records[i]);
    }
    done?.();
  };

/** The same for records with their timestamps: each record's time is set before it runs. */
const collectTimedArray =
  (process: (record: unknown) => void, flow: Flow, pending: PendingInput, time: RecordTime) =>
  (records: readonly unknown[], times: ArrayLike<number>, done?: () => void): void => {
    for (let i = 0; i < records.length; i++) {
      if (flow.stalled !== 0) {
        pending.records(records, i, done, times);
        return;
      }
      time.timestamp = times[i]!;
      process(records[i]);
    }
    done?.();
  };

/** One stage of a chain (an operator, an assigner, or the router at its end), with the input it could not take yet. */
export class Stage implements Downstream {
  readonly collect: (record: unknown) => void;
  readonly process: (record: unknown) => void;
  readonly #collectArray: (records: readonly unknown[], done?: () => void) => void;
  readonly #collectTimedArray: (records: readonly unknown[], times: ArrayLike<number>, done?: () => void) => void;
  readonly #drain: () => boolean;
  readonly #handle: (signal: ControlMessage) => boolean;

  constructor(
    readonly body: StageBody,
    private readonly pending: PendingInput,
    private readonly flow: Flow,
    private readonly time: RecordTime,
    /** The operator whose records this stage receives, blamed when an iterable it emitted throws. */
    private readonly producer: SubtaskLocation,
  ) {
    this.collect = body.collect;
    this.process = body.process;
    this.#handle = (signal) => body.handle(signal);
    this.#collectArray = specialize(collectArray, this.process, flow, pending);
    this.#collectTimedArray = specialize(collectTimedArray, this.process, flow, pending, time);
    this.#drain = () => pending.drain(flow, this.process, this.#handle);
  }

  collectAll(records: Iterable<unknown>): void {
    if (this.flow.stalled !== 0 || !this.pending.empty) {
      if (Array.isArray(records)) this.pending.records(records, 0);
      else this.pending.iterator(records[Symbol.iterator](), this.producer);
      return;
    }
    if (Array.isArray(records)) {
      this.#collectArray(records);
      return;
    }
    const iterator = records[Symbol.iterator]();
    for (;;) {
      if (this.flow.stalled !== 0) {
        this.pending.iterator(iterator, this.producer);
        return;
      }
      const next = iterator.next();
      if (next.done) return;
      this.process(next.value);
    }
  }

  /**
   * A batch from the mailbox, with its records' timestamps if the stream has event time: runs it
   * as far as credit allows; `done` runs once its last record has moved on (the mailbox slot is
   * returned then, so a channel never has more than its capacity of batches alive at the receiver).
   */
  collectBatch(records: readonly unknown[], done: () => void, times?: ArrayLike<number>): void {
    // Records of a stream without event time have none.
    if (times === undefined) this.time.timestamp = NaN;
    if (this.flow.stalled !== 0 || !this.pending.empty) this.pending.records(records, 0, done, times);
    else if (times !== undefined) this.#collectTimedArray(records, times, done);
    else this.#collectArray(records, done);
  }

  signal(signal: ControlMessage): void {
    if (this.flow.stalled !== 0 || !this.pending.empty) this.pending.signal(signal);
    else if (!this.#handle(signal)) this.pending.signal(signal);
  }

  setAside(record: unknown): void {
    this.pending.record(record);
  }

  /** Runs what was set aside; true once nothing is left. */
  drain(): boolean {
    return this.#drain();
  }

  get idle(): boolean {
    return this.pending.empty;
  }
}
