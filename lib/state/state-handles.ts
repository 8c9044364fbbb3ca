import type { Key } from './key-groups.ts';

/**
 * The handles of keyed state (Flink's `ValueState`, `ListState`, `MapState`, `ReducingState`,
 * `AggregatingState`). A handle reads and writes the state of the current key: weir sets the key
 * before every call of the operator, so a handle taken once in `open` follows the records. Declare
 * states with `state.value(...)`, `state.list(...)`, … (see `state`); the declaration gives the
 * handle's type.
 *
 * Stored values are the operator's own and stay plain data (they are snapshotted as such): objects,
 * arrays, strings, numbers, booleans, null. A state with a time-to-live (`{ ttl }`) hides an entry
 * as soon as it has lived `ttl.ms` without a write (or a read, with `update: 'onReadAndWrite'`).
 */

/** One value per key (Flink's `ValueState`), read and written for the current key. */
export interface ValueState<V> {
  /** The current key's value; the declared initial value (or undefined) when none was stored. */
  value(): V;
  /** Stores `value` for the current key; undefined forgets it, as `clear()` does. */
  update(value: V): void;
  /** Forgets the current key's value. */
  clear(): void;
}

/**
 * A list per key (Flink's `ListState`): elements are appended and read back in order. With a ttl,
 * each element lives on its own: an element expires `ttl.ms` after it was added.
 *
 * @example
 * ```ts
 * const recent = ctx.keyedState('recent', state.list<number>({ ttl: { ms: 60_000 } }));
 * recent.add(trade.price);
 * const prices = recent.get(); // the prices of the last minute, oldest first
 * ```
 */
export interface ListState<T> {
  /** The current key's elements in the order they were added: a new array the caller may keep and change. */
  get(): T[];
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  /** Replaces the current key's elements with `values` (none: the key's list is gone). */
  update(values: Iterable<T>): void;
  clear(): void;
  /** How many elements the current key's list holds. */
  readonly size: number;
}

/**
 * A map per key (Flink's `MapState`). Map keys are strings or numbers, so that a snapshot is plain
 * data. With a ttl, each entry lives on its own: it expires `ttl.ms` after it was last put.
 *
 * @example
 * ```ts
 * const bids = ctx.keyedState('bids', state.map<string, number>());
 * bids.put(bid.bidder, Math.max(bids.get(bid.bidder) ?? 0, bid.price));
 * for (const [bidder, price] of bids.entries()) out.collect({ auction: ctx.key, bidder, price });
 * ```
 */
export interface MapState<MK extends Key, V> {
  /** The value under `key` in the current key's map, or undefined. */
  get(key: MK): V | undefined;
  put(key: MK, value: V): void;
  has(key: MK): boolean;
  remove(key: MK): void;
  /** The current key's entries, in the order they were first put. Entries may be removed while iterating. */
  entries(): IterableIterator<[MK, V]>;
  keys(): IterableIterator<MK>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
  /** Forgets the current key's whole map. */
  clear(): void;
}

/**
 * One value per key folded from everything added (Flink's `ReducingState`): `add(v)` stores
 * `reduce(current, v)`, or `v` when the key has none.
 *
 * @example
 * ```ts
 * const max = ctx.keyedState('max', state.reducing((a: number, b: number) => Math.max(a, b)));
 * max.add(trade.price);
 * max.get(); // the highest price of the key so far
 * ```
 */
export interface ReducingState<T> {
  /** The current key's reduced value; undefined when nothing was added (or the reduction gave undefined). */
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/**
 * One accumulator per key, read as a result (Flink's `AggregatingState`): `add(v)` folds `v` into
 * the key's accumulator (made by `create` on the first add), `get()` gives `result(accumulator)`.
 *
 * @example
 * ```ts
 * const mean = ctx.keyedState('mean', state.aggregating({
 *   create: () => ({ sum: 0, n: 0 }),
 *   add: (acc, price: number) => ({ sum: acc.sum + price, n: acc.n + 1 }),
 *   result: (acc) => acc.sum / acc.n,
 * }));
 * mean.add(trade.price);
 * mean.get(); // number | undefined
 * ```
 */
export interface AggregatingState<T, R> {
  /** The result of the current key's accumulator; undefined when nothing was added. */
  get(): R | undefined;
  add(value: T): void;
  clear(): void;
}
