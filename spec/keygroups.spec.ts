import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MAX_PARALLELISM, hashKey, keyGroupOf, keyGroupRange, subtaskOfKeyGroup, type Key } from '../lib/state/key-groups.ts';

const anyKey: fc.Arbitrary<Key> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity),
);

const Hash = suite('hashKey');

Hash('gives the same hash for the same string or number on every call', () => {
  fc.assert(
    fc.property(anyKey, (key) => {
      const first = hashKey(key);
      for (let i = 0; i < 3; i++) assert.is(hashKey(key), first, `expected hashKey(${String(key)}) to be stable across calls`);
      // A copy built separately must hash the same (no identity, no per-call state).
      const copy = typeof key === 'string' ? [...key].join('') : Number(String(key));
      assert.is(hashKey(copy), first, `expected a separately built copy of ${String(key)} to hash the same`);
    }),
  );
});

Hash('returns an unsigned 32-bit integer', () => {
  fc.assert(
    fc.property(anyKey, (key) => {
      const h = hashKey(key);
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `expected hashKey(${String(key)}) in [0, 2^32), got ${h}`);
    }),
  );
});

Hash('treats 1 and 1.0, and -0 and 0, as the same key', () => {
  assert.is(hashKey(1.0), hashKey(1), 'expected 1.0 and 1 to hash the same');
  assert.is(hashKey(-0), hashKey(0), 'expected -0 and 0 to hash the same');
  assert.is(hashKey(Number('1.0')), hashKey(1), 'expected a parsed "1.0" to hash like 1');
  assert.is(hashKey(0.1 + 0.9), hashKey(1), 'expected 0.1 + 0.9 (exactly 1) to hash like 1');
  assert.is(keyGroupOf(-0, DEFAULT_MAX_PARALLELISM), keyGroupOf(0, DEFAULT_MAX_PARALLELISM), 'expected -0 and 0 in the same key group');
});

Hash('tells apart keys that differ, including a number and its string', () => {
  assert.is.not(hashKey(1), hashKey('1'), 'expected 1 and "1" to be different keys');
  assert.is.not(hashKey(1), hashKey(1.5), 'expected 1 and 1.5 to hash differently');
  assert.is.not(hashKey('ab'), hashKey('ba'), 'expected the hash to depend on character order');
  assert.is.not(hashKey(''), hashKey(' '), 'expected "" and " " to hash differently');
});

Hash('hash values are pinned: they place state in key groups, so they must not change between versions', () => {
  // Recorded from lib/util/hash.ts (FNV-1a over UTF-16 units + murmur3 finaliser) when this spec was written.
  const golden: [Key, number][] = [
    ['', 2872998923],
    ['AAPL', 2272979962],
    [0, 0],
    [42, 142593372],
    [1.5, 2321223580],
  ];
  for (const [key, expected] of golden) {
    assert.is(hashKey(key), expected, `expected hashKey(${JSON.stringify(key)}) to stay ${expected}`);
  }
});

Hash('spreads short string keys over key groups', () => {
  const groups = new Set<number>();
  for (let i = 0; i < 1000; i++) groups.add(keyGroupOf(`k${i}`, DEFAULT_MAX_PARALLELISM));
  assert.ok(groups.size > DEFAULT_MAX_PARALLELISM * 0.9, `expected 1000 keys to hit most of the 128 key groups, hit ${groups.size}`);
  const ints = new Set<number>();
  for (let i = 0; i < 1000; i++) ints.add(keyGroupOf(i, DEFAULT_MAX_PARALLELISM));
  assert.ok(ints.size > DEFAULT_MAX_PARALLELISM * 0.9, `expected 1000 integer keys to hit most key groups, hit ${ints.size}`);
});

Hash('refuses keys that are not strings or numbers with a TypeError that says what to do', () => {
  const bad: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['an object', { a: 1 }],
    ['an array', ['a', 1]],
    ['a boolean', true],
    ['a bigint', 10n],
    ['a symbol', Symbol('k')],
    ['a Date', new Date(0)],
  ];
  for (const [what, key] of bad) {
    let thrown: unknown;
    try {
      hashKey(key as Key);
    } catch (error) {
      thrown = error;
    }
    assert.instance(thrown, TypeError, `expected ${what} key to throw a TypeError`);
    const message = (thrown as Error).message;
    assert.match(message, /string or a number/, `expected the message for ${what} to say keys are strings or numbers: ${message}`);
    assert.match(message, /keyBy/, `expected the message for ${what} to name keyBy: ${message}`);
    assert.match(message, /e\.g\./, `expected the message for ${what} to show how to build a key: ${message}`);
  }
  assert.throws(() => keyGroupOf({} as unknown as Key, 128), TypeError, 'expected keyGroupOf to refuse an object key too');
});

Hash.run();

const Groups = suite('key groups');

Groups('keyGroupOf is a whole number in [0, maxParallelism)', () => {
  fc.assert(
    fc.property(anyKey, fc.integer({ min: 1, max: 32768 }), (key, maxP) => {
      const g = keyGroupOf(key, maxP);
      assert.ok(Number.isInteger(g) && g >= 0 && g < maxP, `expected keyGroupOf(${String(key)}, ${maxP}) in [0, ${maxP}), got ${g}`);
    }),
  );
});

Groups('keyGroupOf is exactly the key hash modulo maxParallelism (its integer-only arithmetic changes nothing)', () => {
  fc.assert(
    fc.property(anyKey, fc.integer({ min: 1, max: 32768 }), (key, maxP) => {
      assert.is(keyGroupOf(key, maxP), hashKey(key) % maxP, `expected keyGroupOf(${String(key)}, ${maxP}) to be hashKey % ${maxP}`);
    }),
  );
});

const maxAndParallelism = fc
  .integer({ min: 1, max: 1024 })
  .chain((maxP) => fc.tuple(fc.constant(maxP), fc.integer({ min: 1, max: maxP })));

Groups('keyGroupRange of all subtasks partitions [0, maxParallelism) exactly, in order, with no empty range', () => {
  fc.assert(
    fc.property(maxAndParallelism, ([maxP, p]) => {
      let expectedStart = 0;
      for (let s = 0; s < p; s++) {
        const { start, end } = keyGroupRange(s, p, maxP);
        assert.is(start, expectedStart, `maxP=${maxP} p=${p}: expected subtask ${s} to start at ${expectedStart}, got ${start}`);
        assert.ok(end > start, `maxP=${maxP} p=${p}: expected subtask ${s} to own at least one key group, got [${start}, ${end})`);
        expectedStart = end;
      }
      assert.is(expectedStart, maxP, `maxP=${maxP} p=${p}: expected the last range to end at ${maxP}, got ${expectedStart}`);
    }),
    { numRuns: 300 },
  );
});

Groups('ranges are balanced: sizes differ by at most one key group', () => {
  fc.assert(
    fc.property(maxAndParallelism, ([maxP, p]) => {
      const sizes = Array.from({ length: p }, (_, s) => {
        const { start, end } = keyGroupRange(s, p, maxP);
        return end - start;
      });
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `maxP=${maxP} p=${p}: expected balanced ranges, got sizes ${sizes.join(',')}`);
    }),
  );
});

Groups('subtaskOfKeyGroup agrees with keyGroupRange for every key group', () => {
  fc.assert(
    fc.property(maxAndParallelism, ([maxP, p]) => {
      for (let s = 0; s < p; s++) {
        const { start, end } = keyGroupRange(s, p, maxP);
        for (let g = start; g < end; g++) {
          const owner = subtaskOfKeyGroup(g, maxP, p);
          if (owner !== s) assert.is(owner, s, `maxP=${maxP} p=${p}: expected key group ${g} in [${start}, ${end}) to belong to subtask ${s}, got ${owner}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

Groups('the edge cases p = 1 and p = maxParallelism', () => {
  for (const maxP of [1, 2, 7, 128, 1024]) {
    assert.equal(keyGroupRange(0, 1, maxP), { start: 0, end: maxP }, `expected one subtask to own all ${maxP} key groups`);
    for (let g = 0; g < maxP; g++) {
      assert.is(subtaskOfKeyGroup(g, maxP, 1), 0, `expected key group ${g} of ${maxP} to belong to the only subtask`);
      assert.is(subtaskOfKeyGroup(g, maxP, maxP), g, `expected key group ${g} to be subtask ${g} when p = maxP = ${maxP}`);
      assert.equal(keyGroupRange(g, maxP, maxP), { start: g, end: g + 1 }, `expected subtask ${g} of ${maxP} to own exactly key group ${g}`);
    }
  }
});

Groups('a key is owned by the same subtask that the range of its key group names', () => {
  fc.assert(
    fc.property(anyKey, maxAndParallelism, (key, [maxP, p]) => {
      const g = keyGroupOf(key, maxP);
      const s = subtaskOfKeyGroup(g, maxP, p);
      assert.ok(s >= 0 && s < p, `expected key ${String(key)} to land on a subtask in [0, ${p}), got ${s}`);
      const { start, end } = keyGroupRange(s, p, maxP);
      assert.ok(g >= start && g < end, `expected key group ${g} within subtask ${s}'s range [${start}, ${end})`);
    }),
  );
});

Groups.run();
