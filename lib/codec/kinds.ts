/**
 * Column kinds of the batch codec and the column layout shared by encoder and decoder.
 *
 * A kind is one character so that a shape's column kinds form a short string that is
 * cheap to send, to compare and to use as a cache key for generated code.
 *
 * @example
 * ```ts
 * import { classify, layoutOf } from './kinds.ts';
 * classify(3);            // 'i'
 * classify(-0);           // 'f' (an Int32Array would lose the sign)
 * layoutOf('fis').bytesPerRow; // 16
 * ```
 * @module
 */

/**
 * One column kind.
 * - `i` int32 (not -0) in an Int32Array. Measured against storing them as `f`: decode
 *   is ~10-15% faster (values come back as Smis, no heap-number boxing) and the buffer
 *   is smaller; encode cost is within noise (one extra compare per value)
 * - `f` any number in a Float64Array
 * - `b` boolean, one byte per row
 * - `s` string id (Uint32Array) into the channel's string table, or a batch-local string
 * - `d` Date, its time value in a Float64Array
 * - `g` bigint within int64, in a BigInt64Array
 * - `u` always undefined, `n` always null: nothing stored
 * - `a` anything else: a plain array left to structured clone
 *
 * @example
 * ```ts
 * const k: Kind = 'f';
 * ```
 */
export type Kind = 'i' | 'f' | 'b' | 's' | 'd' | 'g' | 'u' | 'n' | 'a';

/**
 * Column ids at or above this value point into the batch's own (non-interned) string list.
 *
 * @example
 * ```ts
 * const s = id < LOCAL_STRING_BASE ? table[id] : batch.local[id - LOCAL_STRING_BASE];
 * ```
 */
export const LOCAL_STRING_BASE = 0x80000000;

/**
 * The narrowest kind able to hold `v`.
 *
 * @example
 * ```ts
 * classify(1.5);     // 'f'
 * classify(2n ** 70n); // 'a': does not fit a BigInt64Array
 * ```
 */
export function classify(v: unknown): Kind {
  switch (typeof v) {
    case 'number':
      return (v | 0) === v && (v !== 0 || 1 / v > 0) ? 'i' : 'f';
    case 'string':
      return 's';
    case 'boolean':
      return 'b';
    case 'undefined':
      return 'u';
    case 'bigint':
      return BigInt.asIntN(64, v) === v ? 'g' : 'a';
    case 'object':
      if (v === null) return 'n';
      return v instanceof Date ? 'd' : 'a';
    default:
      return 'a';
  }
}

/**
 * The narrowest kind able to hold both everything `kind` holds and `v`.
 * Widening is monotone (i → f → a, anything → a), which bounds the number of
 * re-encodes a batch can need to the number of columns times two.
 *
 * @example
 * ```ts
 * widen('i', 0.5);  // 'f'
 * widen('s', 1);    // 'a'
 * ```
 */
export function widen(kind: Kind, v: unknown): Kind {
  const k = classify(v);
  if (k === kind) return kind;
  if ((kind === 'i' && k === 'f') || (kind === 'f' && k === 'i')) return 'f';
  return 'a';
}

/**
 * The narrowest single kind holding every value of `values` (`'a'` if there is none).
 * Used to re-narrow a column that fell back to a plain array in one odd batch.
 *
 * @example
 * ```ts
 * narrowest([1, 2.5, 3]); // 'f'
 * narrowest([1, 'x']);    // 'a'
 * ```
 */
export function narrowest(values: readonly unknown[]): Kind {
  if (values.length === 0) return 'a';
  let kind = classify(values[0]);
  for (let i = 1; i < values.length && kind !== 'a'; i++) {
    const v = values[i];
    if (kind === 'f' ? typeof v !== 'number' : classify(v) !== kind) kind = widen(kind, v);
  }
  return kind;
}

/**
 * Bytes per row of a kind's typed array (0: not stored in the shared buffer).
 *
 * @example
 * ```ts
 * widthOf('i'); // 4
 * widthOf('a'); // 0
 * ```
 */
export function widthOf(kind: string): number {
  switch (kind) {
    case 'f':
    case 'd':
    case 'g':
      return 8;
    case 'i':
    case 's':
      return 4;
    case 'b':
      return 1;
    default:
      return 0;
  }
}

/**
 * Where each column lives in the batch's single ArrayBuffer, in units of `count` bytes:
 * a column of width w starts at byte `unit[c] * count`. 8-byte columns come first and
 * 1-byte columns last, so every view is aligned without padding.
 *
 * @example
 * ```ts
 * const { unit, bytesPerRow } = layoutOf('bif'); // unit: [12, 8, 0], bytesPerRow: 13
 * ```
 */
export interface Layout {
  readonly unit: readonly number[];
  readonly bytesPerRow: number;
}

/**
 * Computes the {@link Layout} for a kinds string.
 *
 * @example
 * ```ts
 * layoutOf('ff').bytesPerRow; // 16
 * ```
 */
export function layoutOf(kinds: string): Layout {
  const unit: number[] = new Array<number>(kinds.length).fill(-1);
  let at = 0;
  for (const w of [8, 4, 1]) {
    for (let c = 0; c < kinds.length; c++) {
      if (widthOf(kinds[c]) === w) {
        unit[c] = at;
        at += w;
      }
    }
  }
  return { unit, bytesPerRow: at };
}

/**
 * Builds the per-column storage for a batch of `count` rows: typed-array views over
 * `data` for buffered kinds, the next array of `anys` for `a` columns, null otherwise.
 *
 * @example
 * ```ts
 * const L = layoutOf('fa');
 * const cols = columnViews('fa', L, new ArrayBuffer(8 * 4), 4, [[1, 2, 3, 4]]);
 * ```
 */
export function columnViews(
  kinds: string,
  layout: Layout,
  data: ArrayBuffer | null,
  count: number,
  anys: unknown[][],
): unknown[] {
  const cols: unknown[] = new Array<unknown>(kinds.length);
  let a = 0;
  for (let c = 0; c < kinds.length; c++) {
    const at = layout.unit[c] * count;
    switch (kinds[c]) {
      case 'f':
      case 'd':
        cols[c] = new Float64Array(data!, at, count);
        break;
      case 'g':
        cols[c] = new BigInt64Array(data!, at, count);
        break;
      case 'i':
        cols[c] = new Int32Array(data!, at, count);
        break;
      case 's':
        cols[c] = new Uint32Array(data!, at, count);
        break;
      case 'b':
        cols[c] = new Uint8Array(data!, at, count);
        break;
      case 'a':
        cols[c] = anys[a++];
        break;
      default:
        cols[c] = null;
    }
  }
  return cols;
}
