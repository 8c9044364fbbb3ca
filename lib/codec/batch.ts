/**
 * The wire format of the batch codec: what one encoded batch carries.
 *
 * @example
 * ```ts
 * import type { EncodedBatch } from './batch.ts';
 * const onMessage = (batch: EncodedBatch) => decoder.decode(batch);
 * ```
 * @module
 */

/**
 * A batch ready to post: plain structured-cloneable data whose only ArrayBuffer is
 * `data` (listed in {@link Encoded.transfer}). Treat it as opaque; the fields are
 * exposed read-only for tests and diagnostics.
 *
 * @example
 * ```ts
 * const { batch } = new BatchEncoder().encode([{ a: 1 }, { a: 2 }]);
 * batch.count; // 2
 * batch.kinds; // 'i'
 * ```
 */
export interface EncodedBatch {
  /** Number of records in the batch. */
  readonly count: number;
  /** The decoder must clear its string table before appending `strings`. */
  readonly reset: boolean;
  /** Strings interned by this batch, appended to the channel table in order. */
  readonly strings: readonly string[];
  /** Strings of this batch that were not interned (long, or table full): ids >= 2^31. */
  readonly local: readonly string[];
  /** `'$'` (records are primitives), the JSON of the key list, or null (all fallback). */
  readonly shape: string | null;
  /** One kind character per column (see kinds.ts). */
  readonly kinds: string;
  /** Every typed column, `count` rows each; null when no column needs one. */
  readonly data: ArrayBuffer | null;
  /** The columns left to structured clone (kind `a`), in column order. */
  readonly anys: readonly (readonly unknown[])[];
  /** Ascending indexes of records that do not have `shape`... */
  readonly fallbackIndex: readonly number[];
  /** ...and those records, left to structured clone. */
  readonly fallback: readonly unknown[];
}

/**
 * An encoded batch and the buffers to transfer when posting it.
 *
 * @example
 * ```ts
 * const { batch, transfer } = encoder.encode(records);
 * worker.postMessage(batch, transfer);
 * ```
 */
export interface Encoded {
  readonly batch: EncodedBatch;
  readonly transfer: ArrayBuffer[];
}

/**
 * How many strings a batch adds to its channel's string table (0 once every string it
 * carries has been seen before).
 *
 * @example
 * ```ts
 * newStringCount(enc.encode([{ s: 'AAPL' }]).batch); // 1
 * newStringCount(enc.encode([{ s: 'AAPL' }]).batch); // 0
 * ```
 */
export function newStringCount(batch: EncodedBatch): number {
  return batch.strings.length;
}
