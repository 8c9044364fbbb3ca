import type { RecordBatch, StreamMessage } from '../protocol/messages.ts';
import { preallocated } from '../util/preallocated.ts';
import type { OutputChannel } from './channel.ts';

/** What `#records` holds between batches: the receiver, or the backlog, owns the last one. */
const NO_BATCH: unknown[] = [];

/**
 * Fills batches for one channel and sends them on credit (Flink's ResultSubpartition). A full
 * batch that finds no credit waits in `backlog`; the owning actor stops processing while any of
 * its writers has a backlog, which is how backpressure travels upstream.
 */
export class ChannelWriter {
  /** The batch being filled, preallocated at `batchSize` when its first record comes. */
  #records: unknown[] = NO_BATCH;
  #count = 0;
  /** Messages ready to send but waiting for credit. */
  readonly backlog: StreamMessage<RecordBatch>[] = [];
  /** Batches handed to the channel so far. */
  batchesSent = 0;
  recordsSent = 0;
  /** Highest number of messages in flight seen on the channel (never above its capacity). */
  maxInFlight = 0;

  /** Records per batch on this channel: the job's batch size, or less if the channel says so. */
  readonly batchSize: number;

  constructor(
    readonly channel: OutputChannel,
    batchSize: number,
    /** Called when an empty buffer receives its first record: arms the buffer timeout. */
    private readonly onFirstRecord: () => void,
    /** The error for a record that the channel could not send (it cannot be cloned to another thread). */
    private readonly notSent: (record: unknown, cause: unknown) => Error = (_record, cause) => cause as Error,
  ) {
    this.batchSize = Math.min(batchSize, channel.maxBatchSize);
  }

  push(record: unknown): void {
    const n = this.#count;
    if (n === 0) this.#begin();
    this.#records[n] = record;
    this.#count = n + 1;
    if (n + 1 >= this.batchSize) this.flush();
  }

  /**
   * A new array for every batch, allocated only once a record needs it (an idle channel holds none),
   * even where the channel copies the batch out (a port): refilling a long-lived array stores young
   * records into an old object, which every young-generation GC must then scan (measured: 5-10%
   * fewer records/s at parallelism 2 in the bid bench).
   */
  #begin(): void {
    this.#records = preallocated(this.batchSize);
    this.onFirstRecord();
  }

  /** Sends the records buffered so far as a batch (or queues it for credit). */
  flush(): void {
    const n = this.#count;
    if (n === 0) return;
    const records = this.#records;
    if (records.length !== n) records.length = n;
    this.#count = 0;
    this.recordsSent += n;
    this.#records = NO_BATCH;
    this.enqueue({ type: 'batch', batch: records });
  }

  get buffered(): number {
    return this.#count;
  }

  /**
   * Sends a control message (end of stream, and later watermarks and barriers) in order with the
   * data: the records buffered so far leave first, so nothing overtakes them.
   */
  control(message: Exclude<StreamMessage<RecordBatch>, { type: 'batch' }>): void {
    this.flush();
    this.enqueue(message);
  }

  get blocked(): boolean {
    return this.backlog.length > 0;
  }

  /** Sends what credit allows from the backlog; returns true when the backlog is empty. */
  drain(): boolean {
    while (this.backlog.length > 0 && this.channel.credit > 0) this.#send(this.backlog.shift()!);
    return this.backlog.length === 0;
  }

  /** Messages in flight on the channel right now. */
  get inFlight(): number {
    return this.channel.capacity - this.channel.credit;
  }

  private enqueue(message: StreamMessage<RecordBatch>): boolean {
    if (this.backlog.length === 0 && this.channel.credit > 0) {
      this.#send(message);
      return true;
    }
    this.backlog.push(message);
    return false;
  }

  #send(message: StreamMessage<RecordBatch>): void {
    try {
      this.channel.send(message);
    } catch (cause) {
      const culprit = message.type === 'batch' ? firstUncloneable(message.batch) : undefined;
      throw culprit ? this.notSent(culprit.record, culprit.cause) : cause;
    }
    if (message.type === 'batch') this.batchesSent++;
    const inFlight = this.channel.capacity - this.channel.credit;
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
  }
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
