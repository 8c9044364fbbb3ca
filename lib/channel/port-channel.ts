import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { BatchDecoder, BatchEncoder, type EncodedBatch } from '../codec/batch-codec.ts';
import type { CreditMessage, RecordBatch, StreamMessage } from '../protocol/messages.ts';
import { assertWithinCapacity, type InputChannel, type OutputChannel, type PolledChannel } from './channel.ts';

type WireMessage = StreamMessage<EncodedBatch>;

/** Told when a message arrived but could not be unpacked (Node's 'messageerror'): the message is gone. */
export type Unreadable = (cause: unknown) => void;

/**
 * Resolves on the port's 'close' event, after which it no longer counts as an active handle. Listen
 * from the start: when the other side goes first (a worker that died), the event has already fired
 * by the time this side closes.
 */
export function whenClosed(port: MessagePort): Promise<void> {
  return new Promise<void>((resolve) => port.once('close', () => resolve()));
}

/**
 * Listens on a port: `handle` for each message, `unreadable` for one Node could not unpack (a record
 * nested too deeply, say). Such a message is lost, and so is its credit, so it must never pass in
 * silence. Returns the poll function: it hands every message already waiting to `handle`, now.
 */
function listen<M>(port: MessagePort, handle: (message: M) => void, unreadable: Unreadable): () => void {
  port.on('message', handle);
  port.on('messageerror', unreadable);
  return () => {
    for (;;) {
      let m;
      try {
        m = receiveMessageOnPort(port);
      } catch (cause) {
        // receiveMessageOnPort throws what 'messageerror' would carry; the message is consumed.
        unreadable(cause);
        continue;
      }
      if (m === undefined) return;
      handle(m.message as M);
    }
  };
}

/**
 * The sending end of a channel to another thread. Batches are encoded column by column and their
 * buffers transferred, which costs a fraction of structured-cloning record objects; credit comes
 * back on the same port, carrying the decoded batch's buffer for the encoder to reuse, so the
 * steady state allocates no buffers.
 *
 * Credit counts messages and bytes: the receiver frees slots in the order it got the messages, so
 * the sender knows which message each credit stands for and what it weighed.
 */
export class PortOutputChannel implements OutputChannel, PolledChannel {
  #credit: number;
  #bytesInFlight = 0;
  /** Estimated bytes of each message in flight, oldest first. */
  readonly #sizes: number[] = [];
  readonly #closed: Promise<void>;
  readonly #encoder = new BatchEncoder();
  readonly #poll: () => void;
  onCredit: () => void = () => {};

  constructor(
    private readonly port: MessagePort,
    readonly capacity: number,
    /** Bytes in flight at most; one message may exceed it, so that any record can pass. */
    readonly maxBytes: number,
    unreadable: Unreadable,
  ) {
    this.#credit = capacity;
    this.#closed = whenClosed(port);
    this.#poll = listen(port, this.#receive, unreadable);
  }

  readonly #receive = (message: CreditMessage): void => {
    this.#credit += message.credit;
    for (let i = 0; i < message.credit; i++) this.#bytesInFlight -= this.#sizes.shift() ?? 0;
    if (message.buffer) this.#encoder.recycle(message.buffer);
    this.onCredit();
  };

  poll(): void {
    this.#poll();
  }

  get credit(): number {
    return this.#bytesInFlight >= this.maxBytes ? 0 : this.#credit;
  }

  get inFlight(): number {
    return this.capacity - this.#credit;
  }

  /** Estimated bytes in flight. */
  get bytesInFlight(): number {
    return this.#bytesInFlight;
  }

  send(message: StreamMessage<RecordBatch>, bytes: number): void {
    if (message.type === 'batch') {
      const { batch, transfer } = this.#encoder.encode(message.batch);
      if (message.times === undefined) this.port.postMessage({ type: 'batch', batch } satisfies WireMessage, transfer);
      else {
        // Timestamps travel as a column of their own, transferred.
        const times = Float64Array.from(message.times);
        this.port.postMessage({ type: 'batch', batch, times } satisfies WireMessage, [...transfer, times.buffer]);
      }
    } else {
      this.port.postMessage(message);
    }
    // Counted once posted: a message that could not be sent (a record that cannot be cloned) took nothing.
    this.#credit--;
    this.#bytesInFlight += bytes;
    this.#sizes.push(bytes);
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
  readonly #poll: () => void;
  maxQueued = 0;
  onMessage: () => void = () => {};

  constructor(
    private readonly port: MessagePort,
    readonly capacity: number,
    unreadable: Unreadable,
  ) {
    this.#closed = whenClosed(port);
    this.#poll = listen(port, this.#receive, unreadable);
  }

  readonly #receive = (message: WireMessage): void => {
    this.#queue.push(message);
    const queued = this.#queue.length;
    assertWithinCapacity(queued, this.capacity, 'port channel');
    if (queued > this.maxQueued) this.maxQueued = queued;
    this.onMessage();
  };

  poll(): void {
    this.#poll();
  }

  get queued(): number {
    return this.#queue.length;
  }

  take(): StreamMessage<RecordBatch> | undefined {
    const message = this.#queue.shift();
    if (message?.type !== 'batch') return message;
    const batch = this.#decoder.decode(message.batch);
    if (message.batch.data) this.#free.push(message.batch.data);
    return message.times === undefined ? { type: 'batch', batch } : { type: 'batch', batch, times: message.times };
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
