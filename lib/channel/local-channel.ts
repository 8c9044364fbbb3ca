import type { RecordBatch, StreamMessage } from '../protocol/messages.ts';
import { assertWithinCapacity, type InputChannel, type OutputChannel } from './channel.ts';

/**
 * A channel between two actors on the same thread: the same credit protocol as a port channel,
 * but batches are handed over by reference (no encoding, no copy). Its capacity is small (see
 * LOCAL_CAPACITY in the plan), so it needs no byte bound of its own: its batches have one.
 */
export class LocalChannel implements OutputChannel, InputChannel {
  #credit: number;
  readonly #queue: StreamMessage<RecordBatch>[] = [];
  #head = 0;
  maxQueued = 0;
  onCredit: () => void = () => {};
  onMessage: () => void = () => {};

  constructor(readonly capacity: number) {
    this.#credit = capacity;
  }

  get credit(): number {
    return this.#credit;
  }

  get inFlight(): number {
    return this.capacity - this.#credit;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  send(message: StreamMessage<RecordBatch>): void {
    this.#credit--;
    this.#queue.push(message);
    const queued = this.queued;
    assertWithinCapacity(queued, this.capacity, 'local channel');
    if (queued > this.maxQueued) this.maxQueued = queued;
    this.onMessage();
  }

  take(): StreamMessage<RecordBatch> | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const message = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as never;
    // Compact rarely: the queue never exceeds capacity, so this is O(capacity) per `capacity` takes.
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    return message;
  }

  release(): void {
    this.#credit++;
    this.onCredit();
  }

  close(): Promise<void> {
    this.#queue.length = 0;
    this.#head = 0;
    return Promise.resolve();
  }
}
