import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { BatchDecoder, BatchEncoder, newStringCount } from '../lib/codec/batch-codec.ts';
import type { EncodedBatch } from '../lib/codec/batch-codec.ts';

/**
 * Deep equality strict enough for a codec: -0 is not 0, NaN equals NaN, key order and
 * key presence (`'k' in o`) count, prototypes count, Dates compare by time value,
 * Maps/Sets by entry order, arrays by own keys (holes count), typed arrays by type and bytes.
 * Returns null when equal, else the path of the first difference.
 */
function diff(a: unknown, b: unknown, path = '$', seen = new Map<object, object>()): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return `${path}: ${describe(a)} !== ${describe(b)}`;
  }
  if (seen.get(a) === b) return null;
  seen.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? null : `${path}: dates differ`;
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]) ? null : `${path}: typed arrays differ`;
  }
  if (a instanceof Map || a instanceof Set) {
    const x = [...a.entries()];
    const y = [...(b as Map<unknown, unknown>).entries()];
    if (x.length !== y.length) return `${path}: sizes ${x.length} !== ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const d = diff(x[i][0], y[i][0], `${path}<key ${i}>`, seen) ?? diff(x[i][1], y[i][1], `${path}<${i}>`, seen);
      if (d !== null) return d;
    }
    return null;
  }
  if (a instanceof Number || a instanceof String || a instanceof Boolean || a instanceof BigInt) {
    return Object.is(a.valueOf(), (b as typeof a).valueOf()) ? null : `${path}: boxed values differ`;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) {
    return `${path}: keys ${JSON.stringify(ka)} !== ${JSON.stringify(kb)}`;
  }
  for (const k of ka) {
    const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}[${JSON.stringify(k)}]`, seen);
    if (d !== null) return d;
  }
  return null;
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Object.is(v, -0)) return '-0';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function assertSame(actual: unknown, expected: unknown): void {
  const d = diff(actual, expected);
  if (d !== null) assert.unreachable(d);
}

/** What a real postMessage does to a batch: clone it, transferring its buffers. */
function post(encoder: BatchEncoder, records: readonly unknown[], count?: number): EncodedBatch {
  const { batch, transfer } = encoder.encode(records, count);
  const posted = structuredClone(batch, { transfer });
  for (const buffer of transfer) assert.is(buffer.byteLength, 0, 'buffer was transferred, not copied');
  return posted;
}

const awkwardKeys = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'a"b', "it's", '\\', '0', '1', '-0', '\u2028', '\ud800'),
);

const primitive = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 53 + 2),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.string({ maxLength: 4 }),
  fc.string({ minLength: 60, maxLength: 80 }),
  fc.constantFrom('AAPL', 'MSFT', 'GOOG', 'AMZN'),
  fc.date({ noInvalidDate: false }),
);

/** Anything structured clone can carry, including odd keys and prototypes. */
const anything = fc.anything({
  key: awkwardKeys,
  maxDepth: 3,
  maxKeys: 5,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withTypedArray: true,
  withSparseArray: true,
  stringUnit: 'binary',
});

/** Records sharing one key list, with values of random kinds, sometimes missing a key. */
const sameShapeBatch = fc
  .uniqueArray(awkwardKeys, { minLength: 0, maxLength: 6 })
  .chain((keys) =>
    fc.array(
      fc.tuple(
        fc.array(primitive, { minLength: keys.length, maxLength: keys.length }),
        fc.array(fc.double({ min: 0, max: 1 }), { minLength: keys.length, maxLength: keys.length }),
      ),
      { maxLength: 40 },
    ).map((rows) =>
      rows.map(([values, dice]) => {
        const r: Record<string, unknown> = {};
        keys.forEach((k, i) => {
          // defineProperty so that '__proto__' becomes an own key, as JSON.parse would make it.
          if (dice[i] > 0.05) Object.defineProperty(r, k, { value: values[i], enumerable: true, writable: true, configurable: true });
        });
        return r;
      }),
    ),
  );

/** Columns of one kind per batch (the fast path proper), with -0/NaN/bigint/Date/undefined. */
const typedBatch = fc
  .constantFrom<fc.Arbitrary<unknown>>(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(undefined),
    fc.constant(null),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.date({ noInvalidDate: false }),
    fc.constantFrom('AAPL', 'MSFT', 'GOOG', 'AMZN', 'x'.repeat(100)),
  )
  .chain((value) => fc.array(fc.record({ sym: value, px: fc.double(), qty: fc.integer(), flag: value }), { maxLength: 50 }));

const codec = suite('batch codec');

codec('round-trips arbitrary structured-cloneable records through a chain of posted batches', () => {
  const batch = fc.oneof(fc.array(anything, { maxLength: 20 }), sameShapeBatch, typedBatch);
  fc.assert(
    fc.property(fc.array(batch, { minLength: 1, maxLength: 6 }), fc.constantFrom(0, 1, 3, 65536), (batches, max) => {
      const enc = new BatchEncoder({ maxInternedStrings: max });
      const dec = new BatchDecoder();
      for (const records of batches) {
        const expected = structuredClone(records);
        assertSame(dec.decode(post(enc, records)), expected);
      }
    }),
    { numRuns: 300 },
  );
});

codec('round-trips when every decoded buffer goes back to the encoder for reuse, as port channels do', () => {
  const batch = fc.oneof(fc.array(anything, { maxLength: 20 }), sameShapeBatch, typedBatch);
  fc.assert(
    fc.property(fc.array(batch, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3 }), (batches, lag) => {
      const enc = new BatchEncoder();
      const dec = new BatchDecoder();
      // Up to `lag` batches in flight: a buffer comes back only after later batches were encoded.
      const inFlight: ArrayBuffer[] = [];
      for (const records of batches) {
        const expected = structuredClone(records);
        const posted = post(enc, records);
        assertSame(dec.decode(posted), expected);
        if (posted.data) inFlight.push(posted.data);
        while (inFlight.length > lag) enc.recycle(inFlight.shift()!);
      }
    }),
    { numRuns: 300 },
  );
  // Steady state: same-sized batches reuse one buffer instead of allocating.
  const enc = new BatchEncoder();
  const records = Array.from({ length: 100 }, (_, i) => ({ id: i, px: i / 3 }));
  const first = enc.encode(records).batch.data!;
  enc.recycle(first);
  assert.is(enc.encode(records.map((r) => ({ ...r, id: r.id + 1 }))).batch.data, first, 'expected the recycled buffer to be reused');
  enc.recycle(first);
  assertSame(new BatchDecoder().decode(enc.encode(records).batch), records);
});

codec('round-trips batches of one shape with random primitive values, including -0, NaN, bigint, Date and undefined', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(sameShapeBatch, typedBatch), { minLength: 1, maxLength: 8 }), (batches) => {
      const enc = new BatchEncoder({ maxInternedStrings: 3 });
      const dec = new BatchDecoder();
      for (const records of batches) {
        // fc.record may make null-prototype records: compare with what a post makes of them.
        const expected = structuredClone(records);
        assertSame(dec.decode(post(enc, records)), expected);
      }
    }),
    { numRuns: 300 },
  );
});

codec('batches survive a real MessagePort, in order, with their buffers transferred', async () => {
  const { port1, port2 } = new MessageChannel();
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  const batches = [0, 1, 2].map((b) => Array.from({ length: 100 }, (_, i) => ({ sym: `S${i % 7}`, px: b + i / 8, n: i })));
  const received: unknown[][] = [];
  const done = new Promise<void>((resolve) => {
    port2.on('message', (batch: EncodedBatch) => {
      received.push(dec.decode(batch));
      if (received.length === batches.length) resolve();
    });
  });
  for (const records of batches) {
    const { batch, transfer } = enc.encode(records);
    port1.postMessage(batch, transfer);
    assert.is(transfer[0].byteLength, 0);
  }
  await done;
  port1.close();
  assertSame(received, batches);
});

codec('a batch of one shape travels as typed columns in a single transferable buffer', () => {
  const records = [
    { auction: 1, bidder: 7, price: 10.5, ts: 1_700_000_000_000, ok: true, sym: 'AAPL' },
    { auction: 2, bidder: 8, price: 11, ts: 1_700_000_000_001, ok: false, sym: 'MSFT' },
  ];
  const { batch, transfer } = new BatchEncoder().encode(records);
  assert.is(batch.kinds, 'iiffbs');
  assert.equal(batch.fallback, []);
  assert.equal(batch.anys, []);
  assert.is(transfer.length, 1);
  assert.is(transfer[0], batch.data);
  assertSame(new BatchDecoder().decode(batch), records);
});

codec('a repeated symbol travels as an id: the second batch carries no new strings', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  const trades = (px: number) => ['AAPL', 'MSFT', 'AAPL', 'GOOG'].map((symbol) => ({ symbol, px }));
  const first = post(enc, trades(1));
  assert.is(newStringCount(first), 3);
  assertSame(dec.decode(first), trades(1));
  const second = post(enc, trades(2));
  assert.is(newStringCount(second), 0);
  assertSame(dec.decode(second), trades(2));
});

codec('a full string table makes the next batch tell the decoder to start over', () => {
  const enc = new BatchEncoder({ maxInternedStrings: 2 });
  const dec = new BatchDecoder();
  const a = [{ s: 'a' }, { s: 'b' }, { s: 'c' }, { s: 'a' }];
  const first = post(enc, a);
  assert.is(first.reset, false);
  assert.equal(first.strings, ['a', 'b']);
  assert.equal(first.local, ['c'], 'the string that did not fit stays local to its batch');
  assertSame(dec.decode(first), a);
  const b = [{ s: 'c' }, { s: 'd' }, { s: 'a' }];
  const second = post(enc, b);
  assert.is(second.reset, true);
  assert.equal(second.strings, ['c', 'd']);
  assertSame(dec.decode(second), b);
  assertSame(dec.decode(post(enc, [{ s: 'd' }, { s: 'c' }])), [{ s: 'd' }, { s: 'c' }]);
});

codec('long strings are sent with their batch instead of being interned', () => {
  const long = 'x'.repeat(65);
  const enc = new BatchEncoder();
  const batch = post(enc, [{ s: long }, { s: 'short' }]);
  assert.equal(batch.strings, ['short']);
  assert.equal(batch.local, [long]);
  assertSame(new BatchDecoder().decode(batch), [{ s: long }, { s: 'short' }]);
});

codec('a missing key and a key holding undefined stay distinct', () => {
  const records: Record<string, unknown>[] = [{ a: 1, b: undefined }, { a: 2 }, { a: 3, b: undefined }];
  const out = new BatchDecoder().decode(post(new BatchEncoder(), records)) as Record<string, unknown>[];
  assert.ok('b' in out[0]);
  assert.not.ok('b' in out[1]);
  assert.ok('b' in out[2]);
  assertSame(out, records);
});

codec('key order and keys such as __proto__, constructor or a"b survive without touching prototypes', () => {
  const records = [
    JSON.parse('{"z": 1, "__proto__": {"polluted": true}, "constructor": 2, "a\\"b": 3, "7": 4}'),
    JSON.parse('{"z": 5, "__proto__": 6, "constructor": "x", "a\\"b": null, "7": 8}'),
  ];
  const out = new BatchDecoder().decode(post(new BatchEncoder(), records)) as object[];
  assertSame(out, records);
  assert.equal(Object.keys(out[0]), ['7', 'z', '__proto__', 'constructor', 'a"b']);
  assert.is(Object.getPrototypeOf(out[0]), Object.prototype);
  assert.is(Object.getPrototypeOf(out[1]), Object.prototype);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

codec('records that are not plain objects keep their place and their structured-clone meaning', () => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  const nullProto = Object.assign(Object.create(null) as object, { x: 9, y: 9 });
  const records = [
    { x: 1, y: 2 },
    new Date(5),
    [1, 2],
    new Point(3, 4),
    nullProto,
    new Map([[1, { x: 1 }]]),
    42,
    { x: 5, y: 6 },
    'text',
  ];
  const batch = post(new BatchEncoder(), records);
  // The null-prototype record has the shape: a post makes it an Object.prototype object anyway.
  assert.equal([...batch.fallbackIndex], [1, 2, 3, 5, 6, 8]);
  assertSame(new BatchDecoder().decode(batch), structuredClone(records));
});

codec('a batch of primitives is itself columnar', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  for (const records of [[1, 2, 3], [0.5, -0, NaN], ['a', 'b', 'a'], [true, false], [1n, -1n], [undefined, undefined]]) {
    const batch = post(enc, records);
    assert.is(batch.shape, '$');
    assert.is(batch.fallback.length, 0);
    assertSame(dec.decode(batch), records);
  }
});

codec('the dominant shape wins even when the first record is an outlier', () => {
  const records = [{ odd: true }, ...Array.from({ length: 10 }, (_, i) => ({ a: i, b: `s${i % 3}` }))];
  const batch = post(new BatchEncoder(), records);
  assert.is(batch.shape, '["a","b"]');
  assert.equal([...batch.fallbackIndex], [0]);
  assertSame(new BatchDecoder().decode(batch), records);
});

codec('an extra, missing or reordered key is never encoded with the shape', () => {
  const records: object[] = [{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }, { b: 2, a: 1 }, { a: 1 }, { a: 1, c: 2 }, { a: 3, b: 4 }];
  const batch = post(new BatchEncoder(), records);
  assert.equal([...batch.fallbackIndex], [1, 2, 3, 4]);
  assertSame(new BatchDecoder().decode(batch), records);
});

codec('an array is not mistaken for an object with index keys', () => {
  const records = [{ 0: 'a', 1: 'b' }, ['a', 'b'], { 0: 'c', 1: 'd' }];
  const batch = post(new BatchEncoder(), records);
  assert.equal([...batch.fallbackIndex], [1]);
  assertSame(new BatchDecoder().decode(batch), records);
});

codec('a wide shape (more than eight keys) is checked key by key like a narrow one', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
  const make = (v: number, order = keys) => Object.fromEntries(order.map((k) => [k, v]));
  const swapped = [...keys];
  [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
  const records = [make(1), make(2), make(3, swapped), make(4, keys.slice(0, 11)), { ...make(5), extra: 0 }, make(6)];
  const batch = post(new BatchEncoder(), records);
  assert.equal([...batch.fallbackIndex], [2, 3, 4]);
  assertSame(new BatchDecoder().decode(batch), records);
});

codec('a column of mixed kinds falls back to a plain array, and is typed again once a batch fits one kind', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  const mixed = [{ v: 1 }, { v: 'one' }, { v: { nested: [1] } }];
  const first = post(enc, mixed);
  assert.is(first.kinds, 'a');
  assertSame(dec.decode(first), mixed);
  const uniform = post(enc, [{ v: 1 }, { v: 2 }]);
  assertSame(dec.decode(uniform), [{ v: 1 }, { v: 2 }]);
  const typed = post(enc, [{ v: 3 }, { v: 4 }]);
  assert.is(typed.kinds, 'i');
  assertSame(dec.decode(typed), [{ v: 3 }, { v: 4 }]);
});

codec('an int32 column widens to float64 for -0, fractions and large integers', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  for (const v of [-0, 0.5, 2 ** 31, -(2 ** 31) - 1]) {
    const records = [{ v: 1 }, { v }];
    const batch = post(enc, records);
    assert.is(batch.kinds, 'f');
    assertSame(dec.decode(batch), records);
    assertSame(dec.decode(post(enc, [{ v: 1 }])), [{ v: 1 }]);
  }
});

codec('encode reads only records[0..count)', () => {
  const records = [{ a: 1 }, { a: 2 }, { a: 'not encoded' }, 'neither'];
  const batch = post(new BatchEncoder(), records, 2);
  assert.is(batch.count, 2);
  assert.is(batch.kinds, 'i');
  assertSame(new BatchDecoder().decode(batch), [{ a: 1 }, { a: 2 }]);
  assert.throws(() => new BatchEncoder().encode(records, 5), RangeError);
  assert.throws(() => new BatchEncoder().encode(records, -1), RangeError);
});

codec('an empty batch round-trips', () => {
  const batch = post(new BatchEncoder(), []);
  assert.is(batch.count, 0);
  assert.equal(new BatchDecoder().decode(batch), []);
});

codec('an encoded batch may wait in a queue while the encoder keeps going', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  const ring = [{ s: 'a', v: 1 }, { s: 'b', v: 2 }];
  const queued = [enc.encode(ring), enc.encode((ring.reverse(), ring)), enc.encode([{ s: 'c', v: 'x' }])];
  const out = queued.map(({ batch, transfer }) => dec.decode(structuredClone(batch, { transfer })));
  assertSame(out, [
    [{ s: 'a', v: 1 }, { s: 'b', v: 2 }],
    [{ s: 'b', v: 2 }, { s: 'a', v: 1 }],
    [{ s: 'c', v: 'x' }],
  ]);
});

codec('reset on both ends of a re-created channel starts a fresh string table', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  dec.decode(post(enc, [{ s: 'a' }, { s: 'b' }]));
  enc.reset();
  dec.reset();
  const batch = post(enc, [{ s: 'b' }, { s: 'c' }]);
  assert.is(batch.reset, true);
  assert.equal(batch.strings, ['b', 'c']);
  assertSame(dec.decode(batch), [{ s: 'b' }, { s: 'c' }]);
  assertSame(new BatchDecoder().decode(structuredClone(batch)), [{ s: 'b' }, { s: 'c' }]);
});

codec('an enumerable key on Object.prototype turns the object fast path off instead of copying inherited keys', () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.inherited = 1;
  try {
    const records = [{ a: 1 }, { a: 2 }];
    const batch = post(new BatchEncoder(), records);
    assert.is(batch.shape, null);
    assertSame(new BatchDecoder().decode(batch), structuredClone(records));
  } finally {
    delete proto.inherited;
  }
});

codec('values behind getters are read like structured clone reads them', () => {
  const record = { a: 1, get b() { return 2; } };
  assertSame(new BatchDecoder().decode(post(new BatchEncoder(), [record])), structuredClone([record]));
});

codec.run();
