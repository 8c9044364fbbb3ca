import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { BatchDecoder, BatchEncoder, type EncodedBatch } from '../codec/batch-codec.ts';
import type { CreditMessage, RecordBatch, StreamMessage } from '../protocol/messages.ts';
import { assertWithinCapacity, type InputChannel, type OutputChannel, type PolledChannel } from './channel.ts';

type WireMessage = StreamMessage<EncodedBatch>;

/**
 * Resolves on the port's 'close' event, after which it no longer counts as an active handle. Listen
 * from the start: when the other side goes first (a worker that died), the event has already fired
 * by the time this side closes.
 */
export function whenClosed(port: MessagePort): Promise<void> {
  return new Promise<void>((resolve) => port.once('close', () => resolve()));
}

/** Hands every message waiting on `port` to `handle`, now (the same handler the 'message' event calls). */
function pollPort<M>(port: MessagePort, handle: (message: M) => void): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as M);
}

/**
 * The sending end of a channel to another thread. Batches are encoded column by column and their
 * buffers transferred, which costs a fraction of structured-cloning record objects; credit comes
 * back on the same port, carrying the decoded batch's buffer for the encoder to reuse, so the
 * steady state allocates no buffers.
 */
export class PortOutputChannel implements OutputChannel, PolledChannel {
  #credit: number;
  readonly #closed: Promise<void>;
  readonly #encoder = new BatchEncoder();
  onCredit: () => void = () => {};
  /** Between threads a batch's fixed cost is a message: the job's `batchSize` applies. */
  readonly maxBatchSize = Infinity;

  constructor(
    private readonly port: MessagePort,
    readonly capacity: number,
  ) {
    this.#credit = capacity;
    this.#closed = whenClosed(port);
    port.on('message', this.#receive);
  }

  readonly #receive = (message: CreditMessage): void => {
    this.#credit += message.credit;
    if (message.buffer) this.#encoder.recycle(message.buffer);
    this.onCredit();
  };

  poll(): void {
    pollPort(this.port, this.#receive);
  }

  get credit(): number {
    return this.#credit;
  }

  send(message: StreamMessage<RecordBatch>): void {
    this.#credit--;
    if (message.type === 'batch') {
      const { batch, transfer } = this.#encoder.encode(message.batch);
      this.port.postMessage({ type: 'batch', batch } satisfies WireMessage, transfer);
    } else {
      this.port.postMessage(message);
    }
  }

  close(): Promise<void> {
    this.port.close();
    return this.#closed;
  }
}

/** The receiving end of a channel from another thread. Decoding waits until the actor takes the message. */
export class PortInputChannel implements InputChannel, PolledChannel {
  readonly #queue: WireMessage[] = [];
  readonly #closed: Promise<void>;
  readonly #decoder = new BatchDecoder();
  /** Column buffers of decoded batches, returned to the sender with the next credits. */
  readonly #free: ArrayBuffer[] = [];
  onMessage: () => void = () => {};

  constructor(
    private readonly port: MessagePort,
    readonly capacity: number,
  ) {
    this.#closed = whenClosed(port);
    port.on('message', this.#receive);
  }

  readonly #receive = (message: WireMessage): void => {
    this.#queue.push(message);
    assertWithinCapacity(this.#queue.length, this.capacity, 'port channel');
    this.onMessage();
  };

  poll(): void {
    pollPort(this.port, this.#receive);
  }

  get queued(): number {
    return this.#queue.length;
  }

  take(): StreamMessage<RecordBatch> | undefined {
    const message = this.#queue.shift();
    if (message?.type !== 'batch') return message;
    const batch = this.#decoder.decode(message.batch);
    if (message.batch.data) this.#free.push(message.batch.data);
    return { type: 'batch', batch };
  }

  release(): void {
    const buffer = this.#free.pop();
    if (buffer) this.port.postMessage({ type: 'credit', credit: 1, buffer } satisfies CreditMessage, [buffer]);
    else this.port.postMessage({ type: 'credit', credit: 1 } satisfies CreditMessage);
  }

  close(): Promise<void> {
    this.port.close();
    return this.#closed;
  }
}
