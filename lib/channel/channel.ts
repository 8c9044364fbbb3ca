import type { RecordBatch, StreamMessage } from '../protocol/messages.ts';

/**
 * The sending end of a channel. The sender may call `send` only while `credit > 0`; each send
 * takes one credit, and the receiver gives it back when it has processed the message.
 */
export interface OutputChannel {
  /**
   * Messages the receiver can take now (Flink's "credit"): its free mailbox slots, or 0 while the
   * bytes in flight are at the channel's byte bound.
   */
  readonly credit: number;
  /** Mailbox slots on the receiving side: the most messages ever in flight. */
  readonly capacity: number;
  /** Messages in flight right now. */
  readonly inFlight: number;
  /** Hands a message over; consumes one credit. `bytes` is the message's estimated size. */
  send(message: StreamMessage<RecordBatch>, bytes: number): void;
  /** Called whenever credit arrives. */
  onCredit: () => void;
  /** Releases the channel; resolves once its port (if any) is closed. */
  close(): Promise<void>;
}

/** The receiving end of a channel: a bounded FIFO mailbox. */
export interface InputChannel {
  /** Mailbox slots: messages the sender may have in flight. */
  readonly capacity: number;
  /** Messages waiting, never more than the capacity. */
  readonly queued: number;
  /** The most messages ever waiting at once: the receiving side's view of backpressure. */
  readonly maxQueued: number;
  /** The oldest message, decoded; undefined when empty. Call `release` once it is taken. */
  take(): StreamMessage<RecordBatch> | undefined;
  /** Returns one credit to the sender: a mailbox slot is free again. */
  release(): void;
  /** Called whenever a message arrives. */
  onMessage: () => void;
  /** Releases the channel; resolves once its port (if any) is closed. */
  close(): Promise<void>;
}

/**
 * The end of a channel that lives on a MessagePort. `poll` takes the messages already waiting on
 * the port, synchronously: the scheduler calls it between steps, so that credit and batches from
 * another thread arrive while this thread is busy rather than when its event loop next turns.
 */
export interface PolledChannel {
  poll(): void;
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Guards the one invariant the credit protocol exists for. */
export function assertWithinCapacity(queued: number, capacity: number, where: string): void {
  if (queued > capacity) {
    throw new ProtocolError(`${where}: ${queued} messages queued on a channel of capacity ${capacity} (credit protocol violated)`);
  }
}
