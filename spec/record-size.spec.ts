/** The size estimate that bounds batches in bytes: close enough to bound, and a bounded walk whatever the record. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { estimateSize } from '../lib/channel/record-size.ts';

/** Asserts `actual` is within `tolerance` (a fraction) of `expected`. */
function near(actual: number, expected: number, tolerance: number, what: string): void {
  const off = Math.abs(actual - expected) / expected;
  assert.ok(off <= tolerance, `${what}: expected about ${expected} bytes (±${tolerance * 100}%), got ${actual}`);
}

/** `target` with every property read counted, so that a test can see how much of a record the walk looks at. */
function counted<T extends object>(target: T, reads: { count: number }): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      reads.count++;
      return Reflect.get(t, key, receiver);
    },
  });
}

const Values = suite('estimateSize: values');

Values('a string counts about its length', () => {
  near(estimateSize('x'.repeat(1_000_000)), 1_000_000, 0.001, 'a 1 MB string');
  assert.ok(estimateSize('abc') < estimateSize('abcdef'), 'expected a longer string to weigh more');
});

Values('numbers, booleans, null and undefined count one slot each', () => {
  const slot = estimateSize(1);
  assert.ok(slot > 0 && slot <= 16, `expected a small constant for a number, got ${slot}`);
  for (const v of [1.5, true, null, undefined, 10n]) assert.is(estimateSize(v), slot, `expected ${String(v)} to weigh one slot`);
});

Values('typed arrays and buffers count their bytes', () => {
  near(estimateSize(new Float64Array(10_000)), 80_000, 0.01, 'a Float64Array of 10,000');
  near(estimateSize(new Uint8Array(50_000)), 50_000, 0.01, 'a Uint8Array of 50,000');
  near(estimateSize(new ArrayBuffer(40_000)), 40_000, 0.01, 'an ArrayBuffer of 40,000');
  near(estimateSize(new DataView(new ArrayBuffer(40_000))), 40_000, 0.01, 'a DataView of 40,000');
});

Values('an object weighs more than the sum of its values, and more with each field', () => {
  const small = { symbol: 'AAPL' };
  const larger = { symbol: 'AAPL', price: 1.5 };
  assert.ok(estimateSize(small) > estimateSize('AAPL'), 'expected the object to weigh more than its string');
  assert.ok(estimateSize(larger) > estimateSize(small), 'expected one more field to weigh more');
  assert.ok(estimateSize({ payload: 'x'.repeat(10_000) }) >= 10_000, 'expected a field\'s string counted');
});

Values('maps and sets count their keys and values', () => {
  const entries = Array.from({ length: 1000 }, (_, i) => [`key${i}`, 'v'.repeat(100)] as const);
  near(estimateSize(new Map(entries)), estimateSize(entries.flat()), 0.05, 'a map of 1,000 entries against its keys and values in an array');
  assert.ok(estimateSize(new Set(['a'.repeat(5000)])) >= 5000, 'expected a set\'s member counted');
});

const Large = suite('estimateSize: large and deep records');

/** What an array adds for each element, besides the element itself: its slot. */
const perElement = estimateSize([0]) - estimateSize([]) - estimateSize(0);

Large('a large array is extrapolated from a sample: uniform elements give the exact sum (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20_000 }), fc.nat(200), (n, length) => {
      const one = estimateSize('s'.repeat(length));
      const array = Array.from({ length: n }, () => 's'.repeat(length));
      near(estimateSize(array), estimateSize([]) + n * (perElement + one), 0.001, `${n} strings of ${length}`);
    }),
    { numRuns: 40 },
  );
});

Large('a mixed array is estimated within 10% from its spread sample', () => {
  const array = Array.from({ length: 100_000 }, (_, i) => (i < 50_000 ? 'x'.repeat(10) : 'y'.repeat(1000)));
  const exact = array.reduce((sum, s) => sum + perElement + estimateSize(s), estimateSize([]));
  near(estimateSize(array), exact, 0.1, 'half short and half long strings');
});

Large('a million-element array is looked at in about 64 places, not a million', () => {
  const reads = { count: 0 };
  const array = counted(Array.from({ length: 1_000_000 }, (_, i) => i), reads);
  estimateSize(array);
  assert.ok(reads.count < 200, `expected a bounded number of reads, got ${reads.count}`);
});

Large('a record nested 100,000 levels deep neither throws nor walks every level', () => {
  let deep: unknown = { leaf: 1 };
  for (let i = 0; i < 100_000; i++) deep = { c: deep };
  const size = estimateSize(deep);
  assert.ok(size > 0, `expected a positive estimate, got ${size}`);
  const reads = { count: 0 };
  let watched: object = { leaf: 1 };
  for (let i = 0; i < 100_000; i++) watched = counted({ c: watched }, reads);
  estimateSize(watched);
  assert.ok(reads.count <= 1000, `expected the walk to stop after a few hundred values, it read ${reads.count} properties`);
});

Values.run();
Large.run();
