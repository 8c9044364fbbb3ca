/**
 * Batch codec: turns an array of records into columnar typed arrays (one transferable
 * ArrayBuffer per batch) plus small plain arrays, so that moving a batch between worker
 * threads costs ~tens of ns per record instead of structured-cloning every object.
 *
 * @example
 * ```ts
 * import { BatchEncoder, BatchDecoder } from './batch-codec.ts';
 * const enc = new BatchEncoder();
 * const dec = new BatchDecoder();
 * const { batch, transfer } = enc.encode([{ symbol: 'AAPL', price: 1.5 }]);
 * port.postMessage(batch, transfer);          // sender side
 * const records = dec.decode(batch);          // receiver side, in order
 * ```
 * @module
 */
import type { Encoded, EncodedBatch } from './batch.ts';
import { classify, columnViews, narrowest, widen } from './kinds.ts';
import type { Kind } from './kinds.ts';
import { encoderFor, SCALAR, shapeKeyOf } from './shape.ts';
import type { Bail } from './shape.ts';
import { StringTable } from './string-table.ts';

export type { Encoded, EncodedBatch } from './batch.ts';
export { newStringCount } from './batch.ts';
export { BatchDecoder } from './decoder.ts';

/**
 * Options of a {@link BatchEncoder}.
 *
 * @example
 * ```ts
 * new BatchEncoder({ maxInternedStrings: 1024 });
 * ```
 */
export interface BatchEncoderOptions {
  /** Upper bound of the per-channel string table (default 65536). */
  maxInternedStrings?: number;
}

/** Per-encoder state of one shape: the kinds to try next, learned from earlier batches. */
interface ShapeState {
  readonly key: string;
  readonly keys: readonly string[] | null;
  kinds: Kind[];
  /** Times each column was widened to `a`: a column that keeps flapping stays `a`. */
  readonly widened: number[];
}

const MAX_SHAPES = 256;
/** Spare buffers an encoder keeps for reuse (a channel has at most its capacity in flight). */
const MAX_SPARE_BUFFERS = 16;
const MAX_FLAPS = 3;
const EMPTY_KINDS = '';

/** Records that travel in the scalar shape (symbols included: the post rejects them as it would anyway). */
const isPrimitive = (r: unknown): boolean => (typeof r !== 'object' || r === null) && typeof r !== 'function';

function isPlainObject(r: unknown): r is Record<string, unknown> {
  if (typeof r !== 'object' || r === null) return false;
  const p: unknown = Object.getPrototypeOf(r);
  return p === Object.prototype || p === null;
}

/** True when Object.prototype has enumerable keys: for-in shape checks would then see inherited keys. */
function prototypePolluted(): boolean {
  for (const _ in {}) return true;
  return false;
}

/**
 * Encodes record batches for one channel. Stateful: strings are interned per channel,
 * so repeated strings (stock symbols, keys) travel as 4-byte ids after their first
 * appearance, and the column kinds of each shape are remembered so that steady-state
 * batches are encoded in a single pass.
 *
 * @example
 * ```ts
 * const enc = new BatchEncoder({ maxInternedStrings: 4096 });
 * const { batch, transfer } = enc.encode(records, filled);
 * port.postMessage(batch, transfer);
 * ```
 */
export class BatchEncoder {
  private readonly strings: StringTable;
  private readonly shapes = new Map<string, ShapeState>();
  private last: ShapeState | null = null;
  private readonly bail: Bail = { col: -1, val: undefined };
  /** Buffers handed back by the receiver (see {@link BatchEncoder.recycle}), reused before allocating. */
  private readonly spare: ArrayBuffer[] = [];

  constructor(options?: BatchEncoderOptions) {
    this.strings = new StringTable(options?.maxInternedStrings ?? 65536);
  }

  /**
   * Encodes `records[0..count)`. The records are only read; the batch owns fresh arrays,
   * so it may be queued before posting while the caller reuses `records`.
   *
   * @example
   * ```ts
   * const { batch, transfer } = enc.encode(ring, 128); // first 128 slots
   * ```
   */
  encode(records: readonly unknown[], count: number = records.length): Encoded {
    if (!Number.isInteger(count) || count < 0 || count > records.length) {
      throw new RangeError(`weir codec: count ${count} outside 0..${records.length}`);
    }
    const reset = this.strings.beginBatch();
    const objects = !prototypePolluted();
    let shape = this.candidate(records, count, objects);
    let out = shape === null ? null : this.run(shape, records, count);
    if (out === null || out.fallbackIndex.length * 2 > count) {
      // The first record misled us (or nothing fits): pay for a census, once per such batch.
      const best = this.dominant(records, count, objects);
      if (best !== null && best !== shape) {
        const again = this.run(best, records, count);
        if (out === null || again.fallbackIndex.length < out.fallbackIndex.length) {
          out = again;
          shape = best;
        }
      }
    }
    if (shape !== null && shape.keys !== null) this.last = shape;
    const strings = this.strings.takeNew();
    if (out === null) {
      const all = records.slice(0, count);
      const batch: EncodedBatch = {
        count,
        reset,
        strings,
        local: [],
        shape: null,
        kinds: EMPTY_KINDS,
        data: null,
        anys: [],
        fallbackIndex: Array.from(all, (_, i) => i),
        fallback: all,
      };
      return { batch, transfer: [] };
    }
    const batch: EncodedBatch = { count, reset, strings, ...out };
    return { batch, transfer: out.data === null ? [] : [out.data] };
  }

  /**
   * Gives back the `data` buffer of a batch that has been decoded, for a later batch to reuse:
   * a channel that returns each buffer with its credit allocates no memory per batch in the
   * steady state. The decoder copies every value out, so a recycled buffer is free to overwrite.
   *
   * @example
   * ```ts
   * const records = dec.decode(batch);   // receiver
   * if (batch.data) enc.recycle(batch.data); // back at the sender, e.g. with the credit
   * ```
   */
  recycle(buffer: ArrayBuffer): void {
    if (this.spare.length < MAX_SPARE_BUFFERS && buffer.byteLength > 0) this.spare.push(buffer);
  }

  /** A spare buffer of at least `bytes` (and not wastefully larger), else a new one. */
  private buffer(bytes: number): ArrayBuffer {
    const spare = this.spare;
    for (let i = spare.length - 1; i >= 0; i--) {
      const b = spare[i];
      if (b.byteLength >= bytes && b.byteLength <= 4 * bytes) {
        spare[i] = spare[spare.length - 1];
        spare.pop();
        return b;
      }
    }
    return new ArrayBuffer(bytes);
  }

  /**
   * Forgets the string table and learned shapes; the next batch tells its decoder to
   * forget too. Use when the channel is re-created.
   *
   * @example
   * ```ts
   * enc.reset(); dec.reset(); // both ends of a rebuilt channel
   * ```
   */
  reset(): void {
    this.strings.clear();
    this.shapes.clear();
    this.last = null;
  }

  /** Encodes with `shape`, widening its kinds until every value fits (at most 2 per column). */
  private run(shape: ShapeState, records: readonly unknown[], n: number) {
    const strings = this.strings;
    for (;;) {
      const kinds = shape.kinds.join('');
      const { fn, layout } = encoderFor(shape.key, shape.keys, kinds);
      const bytes = layout.bytesPerRow * n;
      const data = bytes > 0 ? this.buffer(bytes) : null;
      const anys: unknown[][] = [];
      for (const k of shape.kinds) if (k === 'a') anys.push([]);
      const cols = columnViews(kinds, layout, data, n, anys);
      const fallbackIndex: number[] = [];
      const fallback: unknown[] = [];
      const local = strings.beginAttempt();
      const rows = fn(records, n, cols, fallbackIndex, fallback, strings.map, strings.intern, this.bail);
      if (rows >= 0) {
        for (const values of anys) values.length = rows; // drop a rejected last row's stores
        this.renarrow(shape, anys);
        const shapeKey = rows > 0 ? shape.key : null;
        return {
          local,
          shape: shapeKey,
          kinds: rows > 0 ? kinds : EMPTY_KINDS,
          data: rows > 0 ? data : null,
          anys: rows > 0 ? anys : [],
          fallbackIndex,
          fallback,
        };
      }
      if (data !== null) this.recycle(data);
      const c = this.bail.col;
      const next = widen(shape.kinds[c], this.bail.val);
      this.bail.val = undefined; // do not pin a user object
      shape.kinds[c] = next === shape.kinds[c] ? 'a' : next;
      if (shape.kinds[c] === 'a') shape.widened[c]++;
    }
  }

  /** A column that needed a plain array in one odd batch gets its typed kind back next time. */
  private renarrow(shape: ShapeState, anys: unknown[][]): void {
    let a = 0;
    for (let c = 0; c < shape.kinds.length; c++) {
      if (shape.kinds[c] !== 'a') continue;
      const values = anys[a++];
      if (shape.widened[c] < MAX_FLAPS && values.length > 0) shape.kinds[c] = narrowest(values);
    }
  }

  /** The shape of the first record that can have one, preferring the previous batch's. */
  private candidate(records: readonly unknown[], n: number, objects: boolean): ShapeState | null {
    for (let i = 0; i < n; i++) {
      const r = records[i];
      if (isPrimitive(r)) return this.stateFor(SCALAR, null, r);
      if (objects && isPlainObject(r)) {
        const keys = Object.keys(r);
        const last = this.last;
        if (last !== null && sameKeys(last.keys!, keys)) return last;
        return this.stateFor(shapeKeyOf(keys), keys, r);
      }
    }
    return null;
  }

  /** The most frequent shape of the batch (ties: the earliest). */
  private dominant(records: readonly unknown[], n: number, objects: boolean): ShapeState | null {
    const census = new Map<string, { count: number; first: number }>();
    let bestKey: string | null = null;
    let best = { count: 0, first: -1 };
    for (let i = 0; i < n; i++) {
      const r = records[i];
      let key: string;
      if (isPrimitive(r)) key = SCALAR;
      else if (objects && isPlainObject(r)) key = shapeKeyOf(Object.keys(r));
      else continue;
      let seen = census.get(key);
      if (seen === undefined) census.set(key, (seen = { count: 0, first: i }));
      if (++seen.count > best.count) [bestKey, best] = [key, seen];
    }
    if (bestKey === null) return null;
    const r = records[best.first];
    return this.stateFor(bestKey, bestKey === SCALAR ? null : Object.keys(r as object), r);
  }

  private stateFor(key: string, keys: readonly string[] | null, sample: unknown): ShapeState {
    let s = this.shapes.get(key);
    if (s === undefined) {
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      const kinds =
        keys === null ? [classify(sample)] : keys.map((k) => classify((sample as Record<string, unknown>)[k]));
      s = { key, keys, kinds, widened: kinds.map(() => 0) };
      this.shapes.set(key, s);
    }
    return s;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
