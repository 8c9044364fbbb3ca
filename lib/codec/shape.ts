/**
 * Per-shape generated code for the batch codec.
 *
 * A shape is a key list (or "the record itself is the value", the scalar shape) plus
 * one {@link Kind} per column. For each pair we compile, once, an encoder loop that
 * reads fields by constant name and a decoder loop that builds every record with the
 * same generated constructor: both stay monomorphic, which is where the 10-20x over
 * structured-cloning record objects comes from.
 * Generated functions are stateless (tables and outputs are arguments), so they are
 * cached per thread and shared by every channel carrying that shape.
 *
 * @example
 * ```ts
 * import { encoderFor, decoderFor, SCALAR } from './shape.ts';
 * const enc = encoderFor('["a"]', ['a'], 'i');
 * const dec = decoderFor(SCALAR, 'f');
 * ```
 * @module
 */
import { generatedOr } from '../util/code-generation.ts';
import { interpretedDecoder, interpretedEncoder } from './interpreted.ts';
import { LOCAL_STRING_BASE, layoutOf } from './kinds.ts';
import type { Layout } from './kinds.ts';

/**
 * Shape key of the scalar shape: each record is a primitive stored as the only column.
 * Cannot collide with an object shape key, which is always a JSON array.
 *
 * @example
 * ```ts
 * new BatchEncoder().encode([1, 2, 3]).batch.shape === SCALAR; // true
 * ```
 */
export const SCALAR = '$';

/**
 * Encodes records[0..n) into the column storage `cols`, appending records that do not
 * have the shape to `fbI`/`fbV`. Returns the number of rows written, or -1 when a value
 * does not fit its column's kind (`bail.col`, `bail.val` say which; the caller widens
 * the kind and runs again).
 *
 * @example
 * ```ts
 * const rows = encoderFor(key, keys, kinds).fn(records, n, cols, fbI, fbV, map, intern, bail);
 * ```
 */
export type EncodeFn = (
  records: readonly unknown[],
  n: number,
  cols: unknown[],
  fbI: number[],
  fbV: unknown[],
  map: Map<string, number>,
  intern: (s: string) => number,
  bail: Bail,
) => number;

/**
 * Writes `n` decoded records to `out[0..n)`, taking record `fbI[f]` from `fbV[f]` and every
 * other one from the next column row. `table` is the channel's string table, `local`
 * the batch's non-interned strings.
 *
 * @example
 * ```ts
 * decoderFor(key, kinds).fn(batch.count, fbI, fbV, cols, table, local, out);
 * ```
 */
export type DecodeFn = (
  n: number,
  fbI: readonly number[],
  fbV: readonly unknown[],
  cols: unknown[],
  table: readonly string[],
  local: readonly string[],
  out: unknown[],
) => void;

/**
 * Where an encode attempt stopped.
 *
 * @example
 * ```ts
 * const bail: Bail = { col: -1, val: undefined };
 * ```
 */
export interface Bail {
  col: number;
  val: unknown;
}

/**
 * A compiled function with the layout of its kinds.
 *
 * @example
 * ```ts
 * const { fn, layout } = decoderFor('["a"]', 'f');
 * ```
 */
export interface Compiled<F> {
  readonly fn: F;
  readonly layout: Layout;
}

// Bounded so that a channel with ever-changing key sets cannot grow code without limit;
// clearing everything is crude but the working set of a healthy pipeline is tiny.
const MAX_CACHED = 2048;
const encoders = new Map<string, Compiled<EncodeFn>>();
const decoders = new Map<string, Compiled<DecodeFn>>();

function cacheGet<F>(cache: Map<string, Compiled<F>>, id: string, make: () => F, kinds: string): Compiled<F> {
  let hit = cache.get(id);
  if (hit === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    hit = { fn: make(), layout: layoutOf(kinds) };
    cache.set(id, hit);
  }
  return hit;
}

/** A property access / literal key that no key can escape from. */
const lit = (key: string): string => JSON.stringify(key);

/** Rejects `r` from the shape (it joins the fallback list); `continue`s the row loop. */
const REJECT = '{ fbI.push(i); fbV.push(r); continue; }';

/**
 * Bail-out code for column `c`. A value of the wrong kind only widens the column if the
 * record really has the shape: the prototype check runs here, on the cold path, and
 * once more at the end of the row, where the property loads have already pinned the
 * map so that V8 folds it to a constant (up front it costs a runtime call per record).
 */
const fail = (c: number, scalar: boolean): string =>
  scalar
    ? `{ bail.col = ${c}; bail.val = v; return -1; }`
    : `{ p = Object.getPrototypeOf(r); if (p !== OP && p !== null) ${REJECT} bail.col = ${c}; bail.val = v; return -1; }`;

/** Statements that check `v` against kind `k` and store it at row j of column c. */
function encodeValue(k: string, c: number, scalar: boolean): string {
  const col = `c${c}`;
  const bail = fail(c, scalar);
  switch (k) {
    case 'i':
      // typeof first: `|` would throw on a bigint and call a user valueOf on an object.
      return `if (typeof v !== 'number' || (v | 0) !== v || (v === 0 && 1 / v < 0)) ${bail} ${col}[j] = v;`;
    case 'f':
      return `if (typeof v !== 'number') ${bail} ${col}[j] = v;`;
    case 'b':
      return `if (v === true) ${col}[j] = 1; else if (v === false) ${col}[j] = 0; else ${bail}`;
    case 's':
      return (
        `if (typeof v !== 'string') ${bail} ` +
        `id = map.get(v); ${col}[j] = id === undefined ? intern(v) : id;`
      );
    case 'd':
      return `if (!(v instanceof Date)) ${bail} ${col}[j] = getTime.call(v);`;
    case 'g':
      return `if (typeof v !== 'bigint' || asIntN(64, v) !== v) ${bail} ${col}[j] = v;`;
    case 'u':
      return `if (v !== undefined) ${bail}`;
    case 'n':
      return `if (v !== null) ${bail}`;
    case 'a':
      // Indexed, not pushed: a row rejected after this store is simply overwritten.
      return `${col}[j] = v;`;
    default:
      throw new TypeError(`weir codec: unknown column kind ${JSON.stringify(k)}`);
  }
}

/**
 * Code leaving `k === keys.length` iff the own enumerable keys of `r`, in order, are
 * `keys`. for-in walks V8's enum cache without allocating (Object.keys would copy it);
 * comparing against constant strings rather than an array element lets V8 compare
 * internalized strings by pointer.
 */
function keyCheck(keys: readonly string[]): string {
  let expected: string;
  if (keys.length <= 8) {
    expected = keys.reduceRight((rest, key, c) => `k === ${c} ? ${lit(key)} : ${rest}`, 'null');
    return `k = 0; for (const key in r) { if (key !== (${expected})) { k = -1; break; } k++; }`;
  }
  const cases = keys.map((key, c) => `case ${c}: ok = key === ${lit(key)}; break;`).join(' ');
  return `k = 0; for (const key in r) { let ok = false; switch (k) { ${cases} } if (!ok) { k = -1; break; } k++; }`;
}

/** Expression reading row j of column c as a value of kind k. */
function decodeValue(k: string, c: number): string {
  const col = `c${c}`;
  switch (k) {
    case 'i':
    case 'f':
    case 'g':
    case 'a':
      return `${col}[j]`;
    case 'b':
      return `${col}[j] === 1`;
    case 's':
      return `((s = ${col}[j]) < ${LOCAL_STRING_BASE} ? table[s] : local[s - ${LOCAL_STRING_BASE}])`;
    case 'd':
      return `new Date(${col}[j])`;
    case 'u':
      return 'undefined';
    case 'n':
      return 'null';
    default:
      throw new TypeError(`weir codec: unknown column kind ${JSON.stringify(k)}`);
  }
}

const columnLocals = (kinds: string): string =>
  kinds.length === 0 ? '' : `const ${Array.from(kinds, (_, c) => `c${c} = cols[${c}]`).join(', ')};`;

function compileEncoder(keys: readonly string[] | null, kinds: string): EncodeFn {
  const body: string[] = [];
  if (keys === null) {
    // Scalar shape: objects (including arrays, Dates, Maps) keep structured-clone semantics.
    body.push(
      `if ((typeof r === 'object' && r !== null) || typeof r === 'function') ${REJECT}`,
      `v = r; ${encodeValue(kinds[0], 0, true)}`,
    );
  } else {
    body.push(
      `if (typeof r !== 'object' || r === null) ${REJECT}`,
      keyCheck(keys),
      `if (k !== ${keys.length}) ${REJECT}`,
    );
    keys.forEach((key, c) => body.push(`v = r[${lit(key)}]; ${encodeValue(kinds[c], c, false)}`));
    // Only plain objects: arrays, Dates, Maps, class instances have a structured-clone
    // meaning that a literal would lose (a Date has no enumerable keys at all).
    body.push(`p = Object.getPrototypeOf(r); if (p !== OP && p !== null) ${REJECT}`);
  }
  const src =
    `'use strict';\n` +
    `return function encodeShape(records, n, cols, fbI, fbV, map, intern, bail) {\n` +
    `${columnLocals(kinds)}\n` +
    `let j = 0, v, id, p, k;\n` +
    `for (let i = 0; i < n; i++) {\n const r = records[i];\n ${body.join('\n ')}\n j++;\n}\n` +
    `return j;\n};`;
  const factory = new Function('OP', 'getTime', 'asIntN', src) as (...a: unknown[]) => EncodeFn;
  return factory(Object.prototype, Date.prototype.getTime, BigInt.asIntN);
}

/**
 * Records are built by a generated constructor whose prototype is Object.prototype, not
 * by an object literal: V8 tracks literals with allocation sites and, when the first
 * scavenge lands in the middle of a large first batch (every record of it still alive),
 * pretenures the site for good; from then on every decoded record is allocated in old
 * space and each batch costs 5-7x more in mark-compact GCs. `new` has no allocation site.
 * The result is indistinguishable from a literal: own enumerable data properties in key
 * order, prototype Object.prototype.
 */
function constructorFor(keys: readonly string[], kinds: string): { prelude: string; make: string } {
  const params = keys.map((_, c) => `p${c}`);
  const body = keys.map((key, c) => `this[${lit(key)}] = p${c};`).join(' ');
  return {
    prelude: `function Record(${params.join(', ')}) { ${body} }\nRecord.prototype = Object.prototype;\n`,
    make: `new Record(${keys.map((_, c) => decodeValue(kinds[c], c)).join(', ')})`,
  };
}

/**
 * An object literal, for shapes the constructor cannot build faithfully: assignment to a
 * key that Object.prototype has (`__proto__`'s setter, or an accessor someone added)
 * would not define an own property. A computed key defines an own "__proto__" where a
 * literal one would set the prototype.
 */
function literalFor(keys: readonly string[], kinds: string): string {
  const props = keys.map(
    (key, c) => `${key === '__proto__' ? `[${lit(key)}]` : lit(key)}: ${decodeValue(kinds[c], c)}`,
  );
  return `{${props.join(', ')}}`;
}

function compileDecoder(keys: readonly string[] | null, kinds: string): DecodeFn {
  let prelude = '';
  let make: string;
  if (keys === null) {
    make = decodeValue(kinds[0], 0);
  } else if (keys.some((key) => key in Object.prototype)) {
    make = literalFor(keys, kinds);
  } else {
    ({ prelude, make } = constructorFor(keys, kinds));
  }
  const src =
    `'use strict';\n` +
    prelude +
    `return function decodeShape(n, fbI, fbV, cols, table, local, out) {\n` +
    `${columnLocals(kinds)}\n` +
    `const nf = fbI.length;\n` +
    `let s, j = 0, f = 0, next = nf > 0 ? fbI[0] : -1;\n` +
    `for (let i = 0; i < n; i++) {\n` +
    ` if (i === next) { out[i] = fbV[f]; f++; next = f < nf ? fbI[f] : -1; continue; }\n` +
    ` out[i] = ${make};\n j++;\n}\n};`;
  return (new Function(src) as () => DecodeFn)();
}

/**
 * The compiled encoder for a shape key (`SCALAR` or the JSON of its key list) and kinds.
 *
 * @example
 * ```ts
 * const { fn, layout } = encoderFor('["price"]', ['price'], 'f');
 * ```
 */
export function encoderFor(shapeKey: string, keys: readonly string[] | null, kinds: string): Compiled<EncodeFn> {
  return cacheGet(
    encoders,
    `${kinds}|${shapeKey}`,
    () => generatedOr(
      () => compileEncoder(keys, kinds),
      () => interpretedEncoder(keys, kinds),
    ),
    kinds,
  );
}

/**
 * The compiled decoder for a shape key as carried by a batch, and kinds.
 *
 * @example
 * ```ts
 * const { fn, layout } = decoderFor('["price"]', 'f');
 * ```
 */
export function decoderFor(shapeKey: string, kinds: string): Compiled<DecodeFn> {
  return cacheGet(
    decoders,
    `${kinds}|${shapeKey}`,
    () => {
      const keys = shapeKey === SCALAR ? null : parseKeys(shapeKey);
      if (kinds.length !== (keys === null ? 1 : keys.length)) {
        throw new TypeError('weir codec: batch kinds do not match its shape');
      }
      return generatedOr(
        () => compileDecoder(keys, kinds),
        () => interpretedDecoder(keys, kinds),
      );
    },
    kinds,
  );
}

function parseKeys(shapeKey: string): string[] {
  const keys: unknown = JSON.parse(shapeKey);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new TypeError('weir codec: malformed shape in batch');
  }
  return keys as string[];
}

/**
 * The cache key of an object shape.
 *
 * @example
 * ```ts
 * shapeKeyOf(['a', 'b']); // '["a","b"]'
 * ```
 */
export const shapeKeyOf = (keys: readonly string[]): string => JSON.stringify(keys);
