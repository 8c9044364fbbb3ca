import type { InputChannel } from '../channel/channel.ts';
import { errors } from '../errors.ts';
import { collectTransactions, TransactionLog } from '../operator/two-phase-commit.ts';
import type { Delivery } from '../operator/sink.ts';

/**
 * The coordinator's end of a collect sink: one input channel per sink subtask. A batch's credit is
 * returned only once the consumer has taken its records, so a consumer that stops reading stops
 * the job instead of letting the coordinator's memory grow: at most `collectCapacity` batches and
 * about `collectBytes` bytes per sink subtask wait here (the channel's bounds).
 *
 * Records are delivered as they come; the end of the stream (or the job's error) only once the
 * coordinator has released the job's threads (`settle`), so that a caller who goes on after
 * `collected()` finds the runtime's threads free.
 *
 * With `exactly-once` delivery each sink subtask's records go into a transaction (see
 * two-phase-commit.ts), prepared when a checkpoint's barrier comes on its channel and committed
 * (handed to the consumer) when the coordinator says the checkpoint completed (`commit`), or when
 * the job ended successfully (`finish`); a restart from a checkpoint aborts what is not committed
 * (`abortUncommitted`). Their credit is returned as they arrive (the barrier behind them must be
 * able to come), so up to a checkpoint interval of output waits here in memory.
 */
export class OutputStream<T> {
  #channels: readonly InputChannel[];
  /** Batches taken from channels, with the channel to credit once consumed. */
  readonly #batches: { records: T[]; channel: InputChannel | undefined }[] = [];
  /** Per channel, with exactly-once delivery: its transactions. */
  readonly #transactions: TransactionLog<T, T[]>[] | undefined;
  #open: number;
  #failure: Error | undefined;
  #closed = false;
  #settled = false;
  /** The iterator was left early: records are dropped as they come. */
  #dropping = false;
  #wake: (() => void) | undefined;
  #consumer: 'output()' | 'collected()' | undefined;
  #collected: Promise<T[]> | undefined;
  #ended: Promise<void>;
  #markEnded!: () => void;
  #portsClosed: Promise<void> = Promise.resolve();

  constructor(
    readonly job: string,
    readonly name: string,
    channels: readonly InputChannel[],
    readonly delivery: Delivery = 'at-least-once',
  ) {
    this.#channels = channels;
    this.#transactions =
      delivery === 'exactly-once'
        ? channels.map(() =>
            new TransactionLog(
              collectTransactions<T>((records) => {
                if (!this.#dropping) this.#batches.push({ records, channel: undefined });
              }),
            ),
          )
        : undefined;
    this.#open = channels.length;
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
    if (this.#open === 0) this.#markEnded();
    this.#barriers = channels.map(() => 0);
    channels.forEach((channel, i) => (channel.onMessage = () => this.#pull(channel, i)));
  }

  /** Per channel: the last checkpoint barrier it delivered (Infinity once it ended). */
  #barriers: number[];
  readonly #barrierWaits: { id: number; resolve: () => void }[] = [];

  /**
   * Resolves once every sink subtask has delivered checkpoint `id`'s barrier (or ended): every
   * record before the checkpoint is here by then.
   */
  barrier(id: number): Promise<void> {
    if (this.#barriers.every((b) => b >= id)) return Promise.resolve();
    return new Promise((resolve) => this.#barrierWaits.push({ id, resolve }));
  }

  #barrierPassed(): void {
    const min = Math.min(...this.#barriers);
    for (let k = this.#barrierWaits.length - 1; k >= 0; k--) {
      if (this.#barrierWaits[k]!.id <= min) this.#barrierWaits.splice(k, 1)[0]!.resolve();
    }
  }

  /**
   * Checkpoint `id` completed: with exactly-once delivery, the records it covers reach the consumer.
   *
   * @example
   * ```ts
   * onCompleted: (checkpoint) => output.commit(checkpoint.id)
   * ```
   */
  commit(id: number): void {
    if (!this.#transactions) return;
    for (const log of this.#transactions) log.committed(id);
    this.#notify();
  }

  /**
   * The job ended successfully: with exactly-once delivery, the records after the last completed
   * checkpoint reach the consumer too (the end of a bounded job is final). Call before `settle`.
   *
   * @example
   * ```ts
   * await Promise.all(outputs.map((o) => o.whenEnded()));
   * for (const o of outputs) o.finish();
   * ```
   */
  finish(): void {
    if (!this.#transactions) return;
    for (const log of this.#transactions) log.finish();
    this.#notify();
  }

  /**
   * The job restarts from a completed checkpoint (the supervisor) or is restored from one: with
   * exactly-once delivery, every record not committed yet is dropped (the replay from the checkpoint
   * sends it again). Records already committed stay delivered. Returns how many transactions were
   * aborted (0 with at-least-once delivery, whose records were delivered already: the replay repeats
   * them).
   *
   * @example
   * ```ts
   * // before redeploying from checkpoints.completed.at(-1):
   * for (const output of outputs) output.abortUncommitted();
   * ```
   */
  abortUncommitted(): number {
    if (!this.#transactions) return 0;
    let n = 0;
    for (const log of this.#transactions) {
      n += log.pending;
      log.abortUncommitted();
    }
    return n;
  }

  /**
   * The job restarts (supervision): the failed attempt's channels are closed, batches already taken
   * stay for the consumer (at-least-once; with exactly-once delivery what is not committed is
   * aborted, see `abortUncommitted`), and `attach` gives the next attempt's channels to the same
   * stream, so an iterator over it goes on. Resolves once the old ports are closed.
   */
  detach(): Promise<void> {
    this.abortUncommitted();
    const old = this.#channels;
    this.#channels = [];
    for (const wait of this.#barrierWaits.splice(0)) wait.resolve();
    return Promise.all(old.map((channel) => channel.close())).then(() => {});
  }

  /** The next attempt's channels, one per sink subtask (see `detach`). */
  attach(channels: readonly InputChannel[]): void {
    this.#channels = channels;
    this.#open = channels.length;
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
    if (this.#open === 0) this.#markEnded();
    this.#barriers = channels.map(() => 0);
    channels.forEach((channel, i) => (channel.onMessage = () => this.#pull(channel, i)));
  }

  /** True once every sink subtask sent its end of stream. */
  get ended(): boolean {
    return this.#open === 0;
  }

  /** Resolves when every sink subtask has ended, or the stream was closed or failed. */
  whenEnded(): Promise<void> {
    return this.#ended;
  }

  /** The job failed: consumers see the error once the job is settled. */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#markEnded();
  }

  /** The job was cancelled or torn down: no more records. Resolves once the ports are closed. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#portsClosed = Promise.all(this.#channels.map((channel) => channel.close())).then(() => {});
      this.#markEnded();
    }
    return this.#portsClosed;
  }

  /** Everything of the job is released: consumers now see the end of the stream, or the job's error. */
  settle(): void {
    this.#settled = true;
    this.#notify();
  }

  iterate(): AsyncIterableIterator<T> {
    this.#claim('output()');
    return this.#iterator();
  }

  collected(): Promise<T[]> {
    if (this.#consumer === 'output()') return Promise.reject(errors.outputConsumed(this.job, this.name, 'output()'));
    this.#claim('collected()');
    // Whole batches at a time: an async iterator would cost a promise per record. The batches are
    // kept as they came and joined once at the end: pushing each record into one growing array
    // stores young records into an old one (large arrays live in old space), and every
    // young-generation GC then scans those slots: ~100 ns a record more, measured on the windowed
    // bench's results, about a third of what a result costs this process.
    this.#collected ??= (async () => {
      const batches: T[][] = [];
      for (;;) {
        for (let next = this.#batches.shift(); next; next = this.#batches.shift()) {
          batches.push(next.records);
          if (!this.#closed) next.channel?.release();
        }
        if (this.#settled) {
          if (this.#failure) throw this.#failure;
          if (this.#batches.length === 0) return joined(batches);
          continue;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    })();
    return this.#collected;
  }

  #claim(kind: 'output()' | 'collected()'): void {
    if (this.#consumer !== undefined && !(kind === 'collected()' && this.#consumer === 'collected()')) {
      throw errors.outputConsumed(this.job, this.name, this.#consumer);
    }
    this.#consumer = kind;
  }

  async *#iterator(): AsyncIterableIterator<T> {
    let current: { records: T[]; channel: InputChannel | undefined } | undefined;
    let ended = false;
    try {
      for (;;) {
        current = this.#batches.shift();
        if (current) {
          yield* current.records;
          if (!this.#closed) current.channel?.release();
          current = undefined;
          continue;
        }
        if (this.#settled) {
          ended = true;
          if (this.#failure) throw this.#failure;
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // Left early (break, return, a throw in the loop's body): nobody reads this output any more.
      // Its later records are dropped, and their credit returned, so the job is not held up forever.
      if (!ended) {
        if (current && !this.#closed) current.channel?.release();
        this.#stopReading();
      }
    }
  }

  #stopReading(): void {
    this.#dropping = true;
    for (const { channel } of this.#batches.splice(0)) if (!this.#closed) channel?.release();
  }

  #pull(channel: InputChannel, i: number): void {
    for (let message = channel.take(); message; message = channel.take()) {
      const log = this.#transactions?.[i];
      if (message.type === 'batch') {
        if (log) {
          // Credit back at once: the barrier behind these records must be able to come.
          if (!this.#dropping) log.write(message.batch as T[]);
          channel.release();
        } else if (this.#dropping) channel.release();
        else this.#batches.push({ records: message.batch as T[], channel });
      } else {
        if (log && message.type === 'barrier') log.barrier(message.checkpointId);
        if (log && message.type === 'end') log.ended();
        if (message.type === 'end' && --this.#open === 0) this.#markEnded();
        if (message.type === 'end' || message.type === 'barrier') {
          this.#barriers[i] = message.type === 'end' ? Infinity : message.checkpointId;
          if (this.#barrierWaits.length > 0) this.#barrierPassed();
        }
        channel.release();
      }
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The records of `batches`, in order, in one new array: concat by slices of batches, as one spread of them all could pass the engine's limit on arguments. */
function joined<T>(batches: readonly T[][]): T[] {
  let all: T[] = [];
  for (let i = 0; i < batches.length; i += 1024) all = all.concat(...batches.slice(i, i + 1024));
  return all;
}
