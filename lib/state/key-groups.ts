import { hashNumber, hashString } from '../util/hash.ts';

/** What `keyBy` may return: keys are hashed stably, so the same key lands in the same key group in every run. */
export type Key = string | number;

/** Default number of key groups: the upper bound of any keyed operator's parallelism. */
export const DEFAULT_MAX_PARALLELISM = 128;

/** Stable hash of a key; throws a TypeError (wrapped by the caller) for keys weir cannot hash. */
export function hashKey(key: Key): number {
  if (typeof key === 'string') return hashString(key);
  if (typeof key === 'number') return hashNumber(key);
  throw notAKey(key);
}

/** Returns a key that weir can hash unchanged; throws the same TypeError as `hashKey` otherwise. */
export function checkKey(key: Key): Key {
  if (typeof key === 'string' || typeof key === 'number') return key;
  throw notAKey(key);
}

const notAKey = (key: unknown): TypeError =>
  new TypeError(
    `keyBy must return a string or a number, got ${key === null ? 'null' : typeof key}; build a string key, e.g. \`\${a}|\${b}\``,
  );

/** Key → key group: the unit in which keyed state is stored, snapshotted and moved between subtasks. */
export function keyGroupOf(key: Key, maxParallelism: number): number {
  const h = hashKey(key);
  // Equal to `h % maxParallelism`, in two steps whose operands stay below 2^31 (maxParallelism is at
  // most 2^15): a hash is often above V8's small-integer range, and `%` on it then compiles to a
  // floating-point modulus that costs more than the rest of a record's trip through keyBy.
  return ((((h >>> 16) % maxParallelism) << 16) + (h & 0xffff)) % maxParallelism;
}

/** Key group → the subtask that owns it: contiguous ranges, as in Flink, so rescaling moves whole ranges. */
export function subtaskOfKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups `[start, end)` owned by one subtask. */
export function keyGroupRange(subtask: number, parallelism: number, maxParallelism: number): { start: number; end: number } {
  return {
    start: Math.ceil((subtask * maxParallelism) / parallelism),
    end: Math.ceil(((subtask + 1) * maxParallelism) / parallelism),
  };
}
