/**
 * The wire protocol between actors: everything a channel carries, as one union tagged by `type`.
 *
 * Downstream, in order with the data: batches of records, and the control messages that must
 * stay ordered with them (watermarks, checkpoint barriers, end of stream). Every downstream message
 * takes one credit, so a channel never holds more than its capacity, whatever it carries.
 *
 * Upstream: credit, announced by the receiver as it frees mailbox slots.
 *
 * `B` is the batch representation: an array of records in-thread, an encoded columnar batch on a
 * MessagePort between threads.
 */
export type StreamMessage<B> =
  /** Records; on a stream with event time, `times[i]` is the timestamp of record i. */
  | { readonly type: 'batch'; readonly batch: B; readonly times?: ArrayLike<number> }
  /** Event time has reached `timestamp` on this channel (no record with a smaller timestamp follows). */
  | { readonly type: 'watermark'; readonly timestamp: number }
  /**
   * The channel is idle: its sender has had no records for a while, so it should not hold back the
   * receiver's watermark. The next record or watermark on the channel makes it active again.
   */
  | { readonly type: 'idle' }
  /** Checkpoint barrier: everything before it belongs to checkpoint `checkpointId`. */
  | { readonly type: 'barrier'; readonly checkpointId: number }
  /** The sender will send nothing more. */
  | { readonly type: 'end' };

/** The messages that travel in order with the data but carry none: they pass through chains as signals. */
export type ControlMessage = Exclude<StreamMessage<never>, { readonly type: 'batch' }>;

/** Receiver → sender. */
export interface CreditMessage {
  readonly type: 'credit';
  /** Batches the receiver has freed since its last announcement. */
  readonly credit: number;
  /** The decoded batch's column buffer, transferred back for the sender's encoder to reuse. */
  readonly buffer?: ArrayBuffer;
}

/** A batch as actors process it. */
export type RecordBatch = unknown[];
