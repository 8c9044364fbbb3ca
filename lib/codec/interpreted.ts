/**
 * The codec's loops without generated code, for processes that disallow code generation from
 * strings (`node --disallow-code-generation-from-strings`, or an embedder's V8 policy). They
 * read the shape's keys and kinds at run time instead of having them compiled in, and produce
 * exactly what the generated loops of shape.ts produce: the same columns, fallbacks and bail-outs,
 * and records built the same way. Slower, never different.
 *
 * @example
 * ```ts
 * import { interpretedEncoder, interpretedDecoder } from './interpreted.ts';
 * const encode = interpretedEncoder(['price'], 'f');
 * const decode = interpretedDecoder(['price'], 'f');
 * ```
 * @module
 */
import { LOCAL_STRING_BASE } from './kinds.ts';
import type { Bail, DecodeFn, EncodeFn } from './shape.ts';

type Column = { [row: number]: unknown };

const getTime = Date.prototype.getTime;

/** Stores `v` at row `j` of a column of kind `k`; false when it does not fit (the caller bails). */
function put(k: string, col: Column, j: number, v: unknown, map: Map<string, number>, intern: (s: string) => number): boolean {
  switch (k) {
    case 'i':
      if (typeof v !== 'number' || (v | 0) !== v || (v === 0 && 1 / v < 0)) return false;
      col[j] = v;
      return true;
    case 'f':
      if (typeof v !== 'number') return false;
      col[j] = v;
      return true;
    case 'b':
      if (v !== true && v !== false) return false;
      col[j] = v ? 1 : 0;
      return true;
    case 's': {
      if (typeof v !== 'string') return false;
      const id = map.get(v);
      col[j] = id === undefined ? intern(v) : id;
      return true;
    }
    case 'd':
      if (!(v instanceof Date)) return false;
      col[j] = getTime.call(v);
      return true;
    case 'g':
      if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) return false;
      col[j] = v;
      return true;
    case 'u':
      return v === undefined;
    case 'n':
      return v === null;
    case 'a':
      col[j] = v;
      return true;
    default:
      throw new TypeError(`weir codec: unknown column kind ${JSON.stringify(k)}`);
  }
}

/** Row `j` of a column of kind `k`. */
function read(k: string, col: Column, j: number, table: readonly string[], local: readonly string[]): unknown {
  switch (k) {
    case 'i':
    case 'f':
    case 'g':
    case 'a':
      return col[j];
    case 'b':
      return col[j] === 1;
    case 's': {
      const s = col[j] as number;
      return s < LOCAL_STRING_BASE ? table[s] : local[s - LOCAL_STRING_BASE];
    }
    case 'd':
      return new Date(col[j] as number);
    case 'u':
      return undefined;
    case 'n':
      return null;
    default:
      throw new TypeError(`weir codec: unknown column kind ${JSON.stringify(k)}`);
  }
}

/** True iff the own enumerable keys of `r`, in for-in order, are `keys` (as the generated key check). */
function hasKeys(r: object, keys: readonly string[]): boolean {
  let k = 0;
  for (const key in r) {
    if (k >= keys.length || key !== keys[k]) return false;
    k++;
  }
  return k === keys.length;
}

const isPlainPrototype = (r: object): boolean => {
  const p: unknown = Object.getPrototypeOf(r);
  return p === Object.prototype || p === null;
};

/** The encoder loop for `keys` (null: the scalar shape) and `kinds`, as `EncodeFn`. */
export function interpretedEncoder(keys: readonly string[] | null, kinds: string): EncodeFn {
  return (records, n, cols, fbI, fbV, map, intern, bail: Bail) => {
    let j = 0;
    rows: for (let i = 0; i < n; i++) {
      const r = records[i];
      if (keys === null) {
        if ((typeof r === 'object' && r !== null) || typeof r === 'function') {
          fbI.push(i);
          fbV.push(r);
          continue;
        }
        if (!put(kinds[0]!, cols[0] as Column, j, r, map, intern)) {
          bail.col = 0;
          bail.val = r;
          return -1;
        }
      } else {
        if (typeof r !== 'object' || r === null || !hasKeys(r, keys)) {
          fbI.push(i);
          fbV.push(r);
          continue;
        }
        for (let c = 0; c < keys.length; c++) {
          const v = (r as Record<string, unknown>)[keys[c]!];
          if (put(kinds[c]!, cols[c] as Column, j, v, map, intern)) continue;
          // A value of the wrong kind widens the column only if the record really has the shape.
          if (!isPlainPrototype(r)) {
            fbI.push(i);
            fbV.push(r);
            continue rows;
          }
          bail.col = c;
          bail.val = v;
          return -1;
        }
        if (!isPlainPrototype(r)) {
          fbI.push(i);
          fbV.push(r);
          continue;
        }
      }
      j++;
    }
    return j;
  };
}

/** The decoder loop for `keys` (null: the scalar shape) and `kinds`, as `DecodeFn`. */
export function interpretedDecoder(keys: readonly string[] | null, kinds: string): DecodeFn {
  // A key that Object.prototype has (`__proto__`, or one someone added) must be defined, not
  // assigned: assignment would run its setter instead of creating an own property.
  const define = keys?.map((key) => key in Object.prototype) ?? [];
  return (n, fbI, fbV, cols, table, local, out) => {
    const nf = fbI.length;
    let j = 0;
    let f = 0;
    let next = nf > 0 ? fbI[0]! : -1;
    for (let i = 0; i < n; i++) {
      if (i === next) {
        out[i] = fbV[f];
        f++;
        next = f < nf ? fbI[f]! : -1;
        continue;
      }
      if (keys === null) {
        out[i] = read(kinds[0]!, cols[0] as Column, j, table, local);
      } else {
        const record: Record<string, unknown> = {};
        for (let c = 0; c < keys.length; c++) {
          const value = read(kinds[c]!, cols[c] as Column, j, table, local);
          if (define[c]) Object.defineProperty(record, keys[c]!, { value, writable: true, enumerable: true, configurable: true });
          else record[keys[c]!] = value;
        }
        out[i] = record;
      }
      j++;
    }
  };
}
