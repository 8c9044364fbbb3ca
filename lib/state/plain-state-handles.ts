import type { Key } from './key-groups.ts';
import type { KeyContext } from './keyed-state-backend.ts';
import type { AggregateFunctions } from './state-descriptors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-handles.ts';

/**
 * The handles of states without a ttl: each reads its table (a Map by key) at the context's current
 * key, and stores values bare. States with a ttl have handles of their own (`ttl-state-handles.ts`),
 * so that these pay nothing for expiry: no clock read, no wrapper, no extra branch.
 */

/** What a key without a map iterates over. */
const NO_ENTRIES: ReadonlyMap<never, never> = new Map<never, never>();

/** A value state's handle: the table's value at the context's current key. */
export class ValueStateHandle<V> implements ValueState<V> {
  readonly #values: Map<Key, unknown>;
  readonly #keys: KeyContext;
  readonly #initial: unknown;

  constructor(values: Map<Key, unknown>, keys: KeyContext, initial: unknown) {
    this.#values = values;
    this.#keys = keys;
    this.#initial = initial;
  }

  // Kept tiny, so that V8 inlines it into the operator that reads state on every record.
  value(): V {
    const v = this.#values.get(this.#keys.key);
    return v !== undefined ? (v as V) : this.#initialValue();
  }

  #initialValue(): V {
    const initial = this.#initial;
    return (typeof initial === 'function' ? (initial as () => V)() : initial) as V;
  }

  update(value: V): void {
    if (value === undefined) this.#values.delete(this.#keys.key);
    else this.#values.set(this.#keys.key, value);
  }

  clear(): void {
    this.#values.delete(this.#keys.key);
  }
}

/** A list state's handle: an array per key; a key whose list is emptied is gone from the table. */
export class ListStateHandle<T> implements ListState<T> {
  readonly #lists: Map<Key, T[]>;
  readonly #keys: KeyContext;

  constructor(lists: Map<Key, unknown>, keys: KeyContext) {
    this.#lists = lists as Map<Key, T[]>;
    this.#keys = keys;
  }

  get(): T[] {
    const list = this.#lists.get(this.#keys.key);
    return list === undefined ? [] : list.slice();
  }

  add(value: T): void {
    const key = this.#keys.key;
    const list = this.#lists.get(key);
    if (list === undefined) this.#lists.set(key, [value]);
    else list.push(value);
  }

  addAll(values: Iterable<T>): void {
    const key = this.#keys.key;
    const list = this.#lists.get(key);
    if (list !== undefined) for (const v of values) list.push(v);
    else this.update(values);
  }

  update(values: Iterable<T>): void {
    // A copy: the caller keeps its array, and may change it later.
    const list = Array.from(values);
    if (list.length === 0) this.#lists.delete(this.#keys.key);
    else this.#lists.set(this.#keys.key, list);
  }

  clear(): void {
    this.#lists.delete(this.#keys.key);
  }

  get size(): number {
    return this.#lists.get(this.#keys.key)?.length ?? 0;
  }
}

/** A map state's handle: a Map per key; a key whose map is emptied is gone from the table. */
export class MapStateHandle<MK extends Key, V> implements MapState<MK, V> {
  readonly #maps: Map<Key, Map<MK, V>>;
  readonly #keys: KeyContext;

  constructor(maps: Map<Key, unknown>, keys: KeyContext) {
    this.#maps = maps as Map<Key, Map<MK, V>>;
    this.#keys = keys;
  }

  get(key: MK): V | undefined {
    return this.#maps.get(this.#keys.key)?.get(key);
  }

  put(key: MK, value: V): void {
    const map = this.#maps.get(this.#keys.key);
    // set, not new Map([[key, value]]): the constructor walks an iterable of arrays, each allocated.
    if (map === undefined) this.#maps.set(this.#keys.key, new Map<MK, V>().set(key, value));
    else map.set(key, value);
  }

  has(key: MK): boolean {
    return this.#maps.get(this.#keys.key)?.has(key) ?? false;
  }

  remove(key: MK): void {
    const map = this.#maps.get(this.#keys.key);
    if (map?.delete(key) && map.size === 0) this.#maps.delete(this.#keys.key);
  }

  entries(): IterableIterator<[MK, V]> {
    return (this.#maps.get(this.#keys.key) ?? NO_ENTRIES).entries();
  }

  keys(): IterableIterator<MK> {
    return (this.#maps.get(this.#keys.key) ?? NO_ENTRIES).keys();
  }

  values(): IterableIterator<V> {
    return (this.#maps.get(this.#keys.key) ?? NO_ENTRIES).values();
  }

  isEmpty(): boolean {
    return !this.#maps.has(this.#keys.key);
  }

  clear(): void {
    const map = this.#maps.get(this.#keys.key);
    if (map === undefined) return;
    this.#maps.delete(this.#keys.key);
    // Ends iterations still running over it, as clearing a Map does.
    map.clear();
  }
}

/** A reducing state's handle: the reduced value per key. */
export class ReducingStateHandle<T> implements ReducingState<T> {
  readonly #values: Map<Key, T>;
  readonly #keys: KeyContext;
  readonly #reduce: (a: T, b: T) => T;

  constructor(values: Map<Key, unknown>, keys: KeyContext, reduce: (a: T, b: T) => T) {
    this.#values = values as Map<Key, T>;
    this.#keys = keys;
    this.#reduce = reduce;
  }

  get(): T | undefined {
    return this.#values.get(this.#keys.key);
  }

  add(value: T): void {
    const key = this.#keys.key;
    const current = this.#values.get(key);
    const next = current === undefined ? value : this.#reduce(current, value);
    if (next === undefined) this.#values.delete(key);
    else this.#values.set(key, next);
  }

  clear(): void {
    this.#values.delete(this.#keys.key);
  }
}

/** An aggregating state's handle: the accumulator per key, read through `result`. */
export class AggregatingStateHandle<T, A, R> implements AggregatingState<T, R> {
  readonly #accumulators: Map<Key, A>;
  readonly #keys: KeyContext;
  readonly #aggregate: AggregateFunctions<T, A, R>;

  constructor(accumulators: Map<Key, unknown>, keys: KeyContext, aggregate: AggregateFunctions<T, A, R>) {
    this.#accumulators = accumulators as Map<Key, A>;
    this.#keys = keys;
    this.#aggregate = aggregate;
  }

  get(): R | undefined {
    const accumulator = this.#accumulators.get(this.#keys.key);
    return accumulator === undefined ? undefined : this.#aggregate.result(accumulator);
  }

  add(value: T): void {
    const key = this.#keys.key;
    const held = this.#accumulators.get(key);
    const aggregate = this.#aggregate;
    const next = aggregate.add(held === undefined ? aggregate.create() : held, value);
    if (next === undefined) this.#accumulators.delete(key);
    else this.#accumulators.set(key, next);
  }

  clear(): void {
    this.#accumulators.delete(this.#keys.key);
  }
}
