import type { ControlMessage, RecordBatch, StreamMessage } from '../protocol/messages.ts';
import { preallocated } from '../util/preallocated.ts';
import type { OutputChannel } from './channel.ts';
import { estimateSize } from './record-size.ts';

/** What `#records` holds between batches: the receiver, or the backlog, owns the last one. */
const NO_BATCH: unknown[] = [];
const NO_TIMES: number[] = [];

/** The event time of the record being written, read per record by a writer of a stream with event time. */
export interface RecordTimestamp {
  readonly timestamp: number;
}

/** Records between two size samples at most: small records are sampled about 16 times per 4096-record batch. */
const MAX_SAMPLE_STRIDE = 256;

/**
 * How many of an actor's output channels are out of credit right now, shared by the actor's writers
 * and its chain. While it is above 0 the actor takes no new input: records already on their way
 * through the chain wait in the chain (see Chain), never in an unbounded backlog here.
 */
export interface Flow {
  stalled: number;
}

/** How a writer cuts batches: the channel plan's bounds. */
export interface BatchBounds {
  /** Records per batch at most. */
  readonly batchSize: number;
  /** A batch leaves once its records are estimated at this many bytes. */
  readonly batchBytes: number;
}

/**
 * Fills batches for one channel and sends them on credit (Flink's ResultSubpartition). A batch
 * leaves when it holds `batchSize` records or an estimated `batchBytes` bytes, whichever comes
 * first: record sizes are sampled (every record when they are large, one in up to 256 when small,
 * so the estimate costs almost nothing on small records). A batch that finds no credit waits in
 * `backlog`, and the writer counts itself in the actor's `Flow` until it is sent: the actor then
 * stops, so a backlog holds at most one batch and the control message that follows it.
 */
export class ChannelWriter {
  /** The batch being filled, preallocated at `batchSize` when its first record comes. */
  #records: unknown[] = NO_BATCH;
  /** On a stream with event time: the timestamps of the batch's records (see `time`). */
  #times: number[] = NO_TIMES;
  #count = 0;
  /** Estimated bytes of this batch's records up to its last sample. */
  #bytes = 0;
  #sampledAt = 0;
  #lastSize = 0;
  /** The record count (in this batch) at which the next record is measured; the stride runs on across batches. */
  #sampleAt = 1;
  /** The batch leaves at this many records: `batchSize`, or fewer once its bytes are reached. */
  #limit: number;
  /** The smaller of `#sampleAt` and `#limit`: where `push` has something to do. */
  #boundary = 1;
  /** Messages ready to send but waiting for credit, with their estimated bytes. */
  readonly backlog: { message: StreamMessage<RecordBatch>; bytes: number }[] = [];
  /** Batches handed to the channel so far. */
  batchesSent = 0;
  recordsSent = 0;
  /** Highest number of messages in flight seen on the channel (never above its capacity). */
  maxInFlight = 0;
  /** Longest backlog seen (at most a batch and a control message, see above). */
  maxBacklog = 0;
  readonly batchSize: number;
  readonly batchBytes: number;

  constructor(
    readonly channel: OutputChannel,
    bounds: BatchBounds,
    private readonly flow: Flow,
    /** Called when an empty buffer receives its first record: arms the buffer timeout. */
    private readonly onFirstRecord: () => void,
    /** The error for a record that the channel could not send (it cannot be cloned to another thread). */
    protected readonly notSent: (record: unknown, cause: unknown) => Error = (_record, cause) => cause as Error,
    /** Called before each message leaves (the actor publishes its figures first: see ActorOutputs). */
    private readonly beforeSend?: () => void,
    /** On a stream with event time, where each record's timestamp is read as it is written. */
    private readonly time?: RecordTimestamp,
  ) {
    this.batchSize = bounds.batchSize;
    this.batchBytes = bounds.batchBytes;
    this.#limit = bounds.batchSize;
  }

  // One compare per record: a sample and the end of a batch are both rare, and the body stays small
  // enough for V8 to inline into every route.
  push(record: unknown): void {
    const n = this.#count;
    if (n === 0) this.#begin();
    this.#records[n] = record;
    if (this.time !== undefined) this.#times[n] = this.time.timestamp;
    this.#count = n + 1;
    if (n + 1 >= this.#boundary) this.#atBoundary(record);
  }

  /** At the next sample, or the batch's last record. */
  #atBoundary(record: unknown): void {
    const count = this.#count;
    if (count === this.#sampleAt) this.#sample(record);
    if (count >= this.#limit) this.flush();
    else this.#boundary = Math.min(this.#sampleAt, this.#limit);
  }

  /**
   * A new array for every batch, allocated only once a record needs it (an idle channel holds none),
   * even where the channel copies the batch out (a port): refilling a long-lived array stores young
   * records into an old object, which every young-generation GC must then scan (measured: 5-10%
   * fewer records/s at parallelism 2 in the bid bench).
   */
  #begin(): void {
    this.#records = preallocated(this.batchSize);
    if (this.time !== undefined) this.#times = preallocated(this.batchSize);
    // The sampling stride runs on across batches: small records are not measured at every batch's
    // first record, and until the next sample, records count at the size last measured.
    this.#bytes = 0;
    this.#sampledAt = 0;
    this.#limit = this.batchSize;
    this.#boundary = Math.min(this.#sampleAt, this.#limit);
    this.onFirstRecord();
  }

  /** Counts the records since the last sample at this one's size, and decides when to look again. */
  #sample(record: unknown): void {
    const size = estimateSize(record);
    const n = this.#count;
    this.#bytes += size * (n - this.#sampledAt);
    this.#sampledAt = n;
    this.#lastSize = size;
    if (this.#bytes >= this.batchBytes) {
      // The batch leaves now; look at the next record, the first of the next batch.
      this.#limit = n;
      this.#sampleAt = n + 1;
      return;
    }
    // Next sample before records four times this size could pass the byte bound unseen.
    const stride = Math.floor((this.batchBytes - this.#bytes) / (4 * Math.max(size, 1)));
    this.#sampleAt = n + Math.max(1, Math.min(MAX_SAMPLE_STRIDE, stride));
  }

  /** Sends the records buffered so far as a batch (or queues it for credit). */
  flush(): void {
    const n = this.#count;
    if (n === 0) return;
    const records = this.#records;
    if (records.length !== n) records.length = n;
    const bytes = this.#bytes + this.#lastSize * (n - this.#sampledAt);
    this.#count = 0;
    // Counted from the next batch's first record on.
    this.#sampleAt = Math.max(1, this.#sampleAt - n);
    this.recordsSent += n;
    this.#records = NO_BATCH;
    if (this.time === undefined) {
      this.#enqueue({ type: 'batch', batch: records }, bytes);
      return;
    }
    const times = this.#times;
    if (times.length !== n) times.length = n;
    this.#times = NO_TIMES;
    this.#enqueue({ type: 'batch', batch: records, times }, bytes);
  }

  get buffered(): number {
    return this.#count;
  }

  /**
   * How many more records this writer takes before its batch leaves (for an empty batch: how many
   * of the size last measured fill one). A source reads that many between two looks at credit, so
   * that a batch without credit stalls it at the end of a read rather than in the middle.
   */
  get room(): number {
    const count = this.#count;
    const byCount = count > 0 ? this.#limit - count : this.batchSize;
    const size = this.#lastSize;
    if (size === 0) return Math.max(1, byCount);
    const bytes = count > 0 ? this.#bytes + size * (count - this.#sampledAt) : 0;
    return Math.max(1, Math.min(byCount, Math.floor((this.batchBytes - bytes) / size)));
  }

  /**
   * Sends a control message (end of stream, and later watermarks and barriers) in order with the
   * data: the records buffered so far leave first, so nothing overtakes them.
   */
  control(message: ControlMessage): void {
    this.flush();
    this.#enqueue(message, 0);
  }

  get blocked(): boolean {
    return this.backlog.length > 0;
  }

  /** Sends what credit allows from the backlog; returns true when the backlog is empty. */
  drain(): boolean {
    if (this.backlog.length === 0) return true;
    while (this.backlog.length > 0 && this.channel.credit > 0) {
      const { message, bytes } = this.backlog[0]!;
      this.#send(message, bytes);
      this.backlog.shift();
    }
    if (this.backlog.length > 0) return false;
    this.flow.stalled--;
    return true;
  }

  /** Messages in flight on the channel right now. */
  get inFlight(): number {
    return this.channel.inFlight;
  }

  #enqueue(message: StreamMessage<RecordBatch>, bytes: number): void {
    if (this.backlog.length === 0 && this.channel.credit > 0) {
      this.#send(message, bytes);
      return;
    }
    if (this.backlog.push({ message, bytes }) === 1) this.flow.stalled++;
    if (this.backlog.length > this.maxBacklog) this.maxBacklog = this.backlog.length;
  }

  #send(message: StreamMessage<RecordBatch>, bytes: number): void {
    this.beforeSend?.();
    try {
      this.channel.send(message, bytes);
    } catch (cause) {
      const culprit = message.type === 'batch' ? firstUncloneable(message.batch) : undefined;
      throw culprit ? this.notSent(culprit.record, culprit.cause) : cause;
    }
    if (message.type === 'batch') this.batchesSent++;
    const inFlight = this.channel.inFlight;
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
  }
}

/**
 * A writer for an in-thread channel that must behave as if it crossed threads: with `copy`, each
 * record is handed over as a structured clone (the sender's records also reach other consumers, see
 * ChannelPlan.copy); with `check` (the `checkRecords` option), each record is only checked to be
 * cloneable, so that a job that would fail across threads fails on one thread too.
 */
export class CloningChannelWriter extends ChannelWriter {
  #copy = false;

  /** Copy records (else only check them). */
  copying(copy: boolean): this {
    this.#copy = copy;
    return this;
  }

  override push(record: unknown): void {
    // Strings, numbers and the like are immutable and always cross: nothing to copy or check.
    const kind = typeof record;
    if ((kind !== 'object' || record === null) && kind !== 'function' && kind !== 'symbol') {
      super.push(record);
      return;
    }
    const flat = flatCopy(record as object);
    if (flat !== undefined) {
      super.push(this.#copy ? flat : record);
      return;
    }
    let clone: unknown;
    try {
      clone = structuredClone(record);
    } catch (cause) {
      throw this.notSent(record, cause);
    }
    super.push(this.#copy ? clone : record);
  }
}

/**
 * A copy of a plain object whose fields are all primitives (a trade, a bid: most records), made
 * by spreading it; undefined for anything else. It is what structured cloning would give (own
 * enumerable fields, a plain prototype), at a tenth of the cost: `structuredClone` serializes and
 * deserializes, about 5 µs a record, which made copying the main cost of a stream read by several
 * operators on one thread (measured on the flagship example).
 */
function flatCopy(record: object): object | undefined {
  if (Object.getPrototypeOf(record) !== Object.prototype) return undefined;
  for (const key in record) {
    const value = (record as Record<string, unknown>)[key];
    const kind = typeof value;
    if ((kind === 'object' && value !== null) || kind === 'function' || kind === 'symbol') return undefined;
  }
  return { ...record };
}

/** The first record that structured cloning rejects, and why (only called once a send has failed). */
function firstUncloneable(records: readonly unknown[]): { record: unknown; cause: unknown } | undefined {
  for (const record of records) {
    try {
      structuredClone(record);
    } catch (cause) {
      return { record, cause };
    }
  }
  return undefined;
}
