/**
 * The wire protocol of a daemon input (`sources.input(name)`, fed by `handle.input(name)`): between
 * the input's reader in the worker and the coordinator's log of the input, over a MessagePort of
 * their own, made anew for every attempt of the job. It lives beside the source contract rather
 * than in lib/protocol because its reader is a connector in actors/, which sits below the runtime.
 *
 * Records are numbered in the order they were written (their sequence number): the reader's offset
 * is the number of the next record it will emit, which is what a checkpoint stores and a restore
 * seeks to. The reader pulls: it asks for records from a number, at most `max` of them, with one
 * request outstanding at a time, so the coordinator never sends more than the reader asked for and
 * the reader's buffer is bounded by what it asks (the input's credit, in records).
 */
export type IngressRequest =
  /** Send at most `max` records from sequence number `from` (the reader has everything before it). */
  { readonly type: 'pull'; readonly id: number; readonly from: number; readonly max: number };

export type IngressReply =
  /**
   * Records numbered `from`, `from + 1`, …, for pull `id`. `from` is above the asked one only when
   * the coordinator no longer has the records asked for (they were read before a restart of a job
   * without periodic checkpoints).
   */
  | { readonly type: 'records'; readonly id: number; readonly from: number; readonly records: readonly unknown[] }
  /** The input was ended (`handle.input(name).end()`) after `at` records, and the reader has them all. */
  | { readonly type: 'end'; readonly id: number; readonly at: number };
