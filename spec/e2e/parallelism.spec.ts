import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Aggregate, Item, RunningCount, Sum } from '../fixtures/keyed-results.ts';
import { fixture, run, watchdog } from '../helpers.ts';

type KeyT = string | number;

/** What a plain single-thread loop computes: per key, count and sum. */
function reference(items: readonly Item[]): Map<KeyT, { count: number; sum: number }> {
  const m = new Map<KeyT, { count: number; sum: number }>();
  for (const { key, value } of items) {
    const e = m.get(key) ?? { count: 0, sum: 0 };
    e.count++;
    e.sum += value;
    m.set(key, e);
  }
  return m;
}

interface Outcome {
  sums: Sum[];
  aggregates: Aggregate[];
  counts: RunningCount[];
}

interface Setup {
  parallelism: number;
  workers: number;
  batchSize?: number;
  mailboxCapacity?: number;
}

async function runKeyed(items: Item[], setup: Setup): Promise<Outcome> {
  const h = await run(fixture('keyed-results'), { ...setup, params: { items } });
  const [sums, aggregates, counts] = await watchdog(
    Promise.all([h.collected<Sum>('sums'), h.collected<Aggregate>('aggregates'), h.collected<RunningCount>('counts')]),
    `keyed-results at ${JSON.stringify(setup)}`,
  );
  const result = await h.done;
  assert.is(result.status, 'finished', 'expected the job to finish');
  return { sums, aggregates, counts };
}

/** The last record per key, in arrival order (rolling operators emit the final value last for each key). */
function lastPerKey<R extends { key: KeyT }>(records: readonly R[]): Map<KeyT, R> {
  const m = new Map<KeyT, R>();
  for (const r of records) m.set(r.key, r);
  return m;
}

const label = (k: KeyT) => JSON.stringify(k);

/** Checks all three keyed outputs against the single-thread reference; returns the final per-key results. */
function assertMatchesReference(items: Item[], out: Outcome, where: string): string {
  const expected = reference(items);
  const keys = [...expected.keys()].map(label).sort();

  // keyBy → reduce (sum): one rolling result per record; the last one per key is the total.
  assert.is(out.sums.length, items.length, `${where}: expected one reduce result per record`);
  const sums = lastPerKey(out.sums);
  assert.equal([...sums.keys()].map(label).sort(), keys, `${where}: expected reduce results for exactly the input keys`);
  const perKeySums = new Map<KeyT, number>();
  for (const r of out.sums) perKeySums.set(r.key, (perKeySums.get(r.key) ?? 0) + 1);
  for (const [key, { count, sum }] of expected) {
    assert.is(sums.get(key)!.value, sum, `${where}: expected reduce total ${sum} for key ${label(key)}`);
    assert.is(perKeySums.get(key), count, `${where}: expected ${count} reduce results for key ${label(key)}`);
  }

  // keyBy → aggregate (count + sum): the last result per key carries the full count and sum.
  assert.is(out.aggregates.length, items.length, `${where}: expected one aggregate result per record`);
  const aggregates = lastPerKey(out.aggregates);
  assert.equal([...aggregates.keys()].map(label).sort(), keys, `${where}: expected aggregate results for exactly the input keys`);
  for (const [key, { count, sum }] of expected) {
    assert.equal(aggregates.get(key), { key, count, sum }, `${where}: expected aggregate {count ${count}, sum ${sum}} for key ${label(key)}`);
  }

  // keyBy → process with value state (running count): per key exactly 1, 2, …, count, in that order.
  assert.is(out.counts.length, items.length, `${where}: expected one running count per record`);
  const sequences = new Map<KeyT, number[]>();
  for (const r of out.counts) {
    assert.ok(r.ctxKey === r.key, `${where}: expected ctx.key ${label(r.ctxKey)} to equal the record's key ${label(r.key)}`);
    const seq = sequences.get(r.key) ?? [];
    seq.push(r.n);
    sequences.set(r.key, seq);
  }
  for (const [key, { count }] of expected) {
    const expectedSeq = Array.from({ length: count }, (_, i) => i + 1);
    assert.equal(sequences.get(key), expectedSeq, `${where}: expected running counts 1..${count} in order for key ${label(key)}`);
  }

  // A canonical form of the final per-key results, to compare runs with each other.
  return JSON.stringify(
    [...expected.keys()]
      .sort((a, b) => (label(a) < label(b) ? -1 : 1))
      .map((k) => [k, sums.get(k)!.value, aggregates.get(k)!.count, aggregates.get(k)!.sum, sequences.get(k)!.length]),
  );
}

// Keys from a small alphabet: strings (including non-ASCII) and numbers (integer, negative, fractional).
const KEYS: KeyT[] = ['a', 'b', 'c', 'd', 'e', 'ünï', 'AAPL', 0, 1, -3, 2.5];
const itemArb: fc.Arbitrary<Item> = fc.record({ key: fc.constantFrom(...KEYS), value: fc.integer({ min: -1000, max: 1000 }) });

/** A fixed pseudo-random input: an LCG, so the input is the same on every run of the suite. */
function fixedItems(n: number): Item[] {
  let x = 12345;
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    items.push({ key: KEYS[x % KEYS.length]!, value: (x >>> 8) % 2001 - 1000 });
  }
  return items;
}

const Parallel = suite('keyed results do not depend on parallelism');

Parallel('property: reduce, aggregate and process equal a single-thread computation for random inputs, parallelism and workers', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(itemArb, { maxLength: 400, size: 'large' }),
      fc.constantFrom(1, 2, 4),
      fc.constantFrom(1, 2),
      // Small batches and mailboxes make many batches and credit round trips out of a small input.
      fc.constantFrom(1, 7, 4096),
      fc.constantFrom(1, 2, 4),
      async (items, parallelism, workers, batchSize, mailboxCapacity) => {
        const setup = { parallelism, workers, batchSize, mailboxCapacity };
        const out = await runKeyed(items, setup);
        assertMatchesReference(items, out, `${items.length} items at ${JSON.stringify(setup)}`);
      },
    ),
    { numRuns: 8, endOnFailure: true },
  );
});

Parallel('the same input gives identical keyed results at parallelism 1, 2 and 4 with 1 or 2 workers', async () => {
  const items = fixedItems(20_000);
  const results = new Map<string, string>();
  for (const parallelism of [1, 2, 4]) {
    for (const workers of [1, 2]) {
      const where = `parallelism ${parallelism}, workers ${workers}`;
      // Small batches so that 20,000 records make hundreds of batches per run.
      const out = await runKeyed(items, { parallelism, workers, batchSize: 256 });
      results.set(where, assertMatchesReference(items, out, where));
    }
  }
  const distinct = new Set(results.values());
  assert.is(distinct.size, 1, `expected one result for all setups, got ${distinct.size}: ${[...results.keys()].join('; ')}`);
});

Parallel('an empty input finishes with empty outputs at any parallelism', async () => {
  const out = await runKeyed([], { parallelism: 4, workers: 2 });
  assert.equal(out, { sums: [], aggregates: [], counts: [] }, 'expected no records from an empty source');
});

Parallel.run();
