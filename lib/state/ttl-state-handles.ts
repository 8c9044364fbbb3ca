import type { Key } from './key-groups.ts';
import type { KeyContext } from './keyed-state-backend.ts';
import type { AggregateFunctions, TtlSettings } from './state-descriptors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-handles.ts';
import { dropExpired, hasExpired, type Stamped } from './state-ttl.ts';

/**
 * The handles of states with a ttl. Every stored value is wrapped with its last-write time
 * (`Stamped`); a read that finds an expired entry treats it as absent and drops it, so an expired
 * entry is invisible at once even before a sweep reclaims the rest. Separate classes from the plain
 * handles: those read the table without a clock or a wrapper, and stay as fast as they were.
 */
abstract class TtlHandle {
  protected readonly ms: number;
  /** Whether reads renew an entry's life (`update: 'onReadAndWrite'`). */
  protected readonly renew: boolean;

  constructor(
    protected readonly store: Map<Key, unknown>,
    protected readonly context: KeyContext,
    ttl: TtlSettings,
    /** Now, on the time line of the state's ttl. */
    protected readonly clock: () => number,
  ) {
    this.ms = ttl.ms;
    this.renew = ttl.update === 'onReadAndWrite';
  }

  /** The current key's entry while it is alive (renewed if `read` and reads renew); an expired one is dropped. */
  protected alive(read: boolean): Stamped<unknown> | undefined {
    const key = this.context.key;
    const entry = this.store.get(key) as Stamped<unknown> | undefined;
    if (entry === undefined) return undefined;
    const now = this.clock();
    if (hasExpired(entry, now, this.ms)) {
      this.store.delete(key);
      return undefined;
    }
    if (read && this.renew) entry.t = now;
    return entry;
  }

  /** Stores `value` for the current key, stamped now; undefined forgets the key. */
  protected write(entry: Stamped<unknown> | undefined, value: unknown): void {
    if (value === undefined) this.store.delete(this.context.key);
    else if (entry !== undefined) {
      entry.v = value;
      entry.t = this.clock();
    } else this.store.set(this.context.key, { v: value, t: this.clock() });
  }

  clear(): void {
    this.store.delete(this.context.key);
  }
}

/** A value per key, expiring `ttl.ms` after its last write (or read). */
export class TtlValueStateHandle<V> extends TtlHandle implements ValueState<V> {
  constructor(
    store: Map<Key, unknown>,
    context: KeyContext,
    ttl: TtlSettings,
    clock: () => number,
    private readonly initial: unknown,
  ) {
    super(store, context, ttl, clock);
  }

  value(): V {
    const entry = this.alive(true);
    if (entry !== undefined) return entry.v as V;
    const initial = this.initial;
    return (typeof initial === 'function' ? (initial as () => V)() : initial) as V;
  }

  update(value: V): void {
    // The entry there, live or expired, is stamped anew: one allocation fewer per write.
    this.write(this.store.get(this.context.key) as Stamped<unknown> | undefined, value);
  }
}

/** A reduced value per key, expiring as a whole: an add after it expired starts again from the added value. */
export class TtlReducingStateHandle<T> extends TtlHandle implements ReducingState<T> {
  constructor(
    store: Map<Key, unknown>,
    context: KeyContext,
    ttl: TtlSettings,
    clock: () => number,
    private readonly reduce: (a: T, b: T) => T,
  ) {
    super(store, context, ttl, clock);
  }

  get(): T | undefined {
    return this.alive(true)?.v as T | undefined;
  }

  add(value: T): void {
    // An expired value takes no part in the reduction: it is gone already.
    const entry = this.alive(false);
    this.write(entry, entry === undefined ? value : this.reduce(entry.v as T, value));
  }
}

/** An accumulator per key, expiring as a whole: an add after it expired starts a new accumulator. */
export class TtlAggregatingStateHandle<T, A, R> extends TtlHandle implements AggregatingState<T, R> {
  constructor(
    store: Map<Key, unknown>,
    context: KeyContext,
    ttl: TtlSettings,
    clock: () => number,
    private readonly aggregate: AggregateFunctions<T, A, R>,
  ) {
    super(store, context, ttl, clock);
  }

  get(): R | undefined {
    const entry = this.alive(true);
    return entry === undefined ? undefined : this.aggregate.result(entry.v as A);
  }

  add(value: T): void {
    const entry = this.alive(false);
    const aggregate = this.aggregate;
    this.write(entry, aggregate.add(entry === undefined ? aggregate.create() : (entry.v as A), value));
  }
}

/** Each element is stamped when it is added, and expires on its own. */
export class TtlListStateHandle<T> extends TtlHandle implements ListState<T> {
  get(): T[] {
    const list = this.#alive(true);
    return list === undefined ? [] : list.map((e) => e.v);
  }

  add(value: T): void {
    const list = this.store.get(this.context.key) as Stamped<T>[] | undefined;
    const entry = { v: value, t: this.clock() };
    if (list === undefined) this.store.set(this.context.key, [entry]);
    else list.push(entry);
  }

  addAll(values: Iterable<T>): void {
    const t = this.clock();
    const added = Array.from(values, (v) => ({ v, t }));
    if (added.length === 0) return;
    const list = this.store.get(this.context.key) as Stamped<T>[] | undefined;
    if (list === undefined) this.store.set(this.context.key, added);
    else for (const e of added) list.push(e);
  }

  update(values: Iterable<T>): void {
    const t = this.clock();
    const list = Array.from(values, (v) => ({ v, t }));
    if (list.length === 0) this.store.delete(this.context.key);
    else this.store.set(this.context.key, list);
  }

  /** Counts live elements; counting is not a read of them, so it renews nothing. */
  get size(): number {
    return this.#alive(false)?.length ?? 0;
  }

  /** The current key's live elements (expired ones dropped in place), or undefined when none is left. */
  #alive(read: boolean): Stamped<T>[] | undefined {
    const key = this.context.key;
    const list = this.store.get(key) as Stamped<T>[] | undefined;
    if (list === undefined) return undefined;
    const now = this.clock();
    if (dropExpired(list, now, this.ms) === 0) {
      this.store.delete(key);
      return undefined;
    }
    if (read && this.renew) for (const e of list) e.t = now;
    return list;
  }
}

/** Each map entry is stamped when it is put, and expires on its own. */
export class TtlMapStateHandle<MK extends Key, V> extends TtlHandle implements MapState<MK, V> {
  get(key: MK): V | undefined {
    return this.#entry(key)?.v;
  }

  put(key: MK, value: V): void {
    const map = this.store.get(this.context.key) as Map<MK, Stamped<V>> | undefined;
    const entry = { v: value, t: this.clock() };
    if (map === undefined) this.store.set(this.context.key, new Map([[key, entry]]));
    else map.set(key, entry);
  }

  has(key: MK): boolean {
    return this.#entry(key) !== undefined;
  }

  remove(key: MK): void {
    const map = this.store.get(this.context.key) as Map<MK, Stamped<V>> | undefined;
    if (map?.delete(key) && map.size === 0) this.store.delete(this.context.key);
  }

  *entries(): IterableIterator<[MK, V]> {
    for (const [k, e] of this.#alive()) yield [k, e.v];
  }

  *keys(): IterableIterator<MK> {
    for (const [k] of this.#alive()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, e] of this.#alive()) yield e.v;
  }

  /** Looks for one live entry, dropping the expired ones it passes; renews nothing. */
  isEmpty(): boolean {
    const key = this.context.key;
    const map = this.store.get(key) as Map<MK, Stamped<V>> | undefined;
    if (map === undefined) return true;
    const now = this.clock();
    for (const [k, e] of map) {
      if (!hasExpired(e, now, this.ms)) return false;
      map.delete(k);
    }
    this.store.delete(key);
    return true;
  }

  override clear(): void {
    const map = this.store.get(this.context.key) as Map<MK, Stamped<V>> | undefined;
    if (map === undefined) return;
    this.store.delete(this.context.key);
    map.clear();
  }

  /** The current key's entry under `key` while it is alive (renewed if reads renew). */
  #entry(key: MK): Stamped<V> | undefined {
    const map = this.store.get(this.context.key) as Map<MK, Stamped<V>> | undefined;
    const entry = map?.get(key);
    if (entry === undefined) return undefined;
    const now = this.clock();
    if (hasExpired(entry, now, this.ms)) {
      map!.delete(key);
      if (map!.size === 0) this.store.delete(this.context.key);
      return undefined;
    }
    if (this.renew) entry.t = now;
    return entry;
  }

  /**
   * The current key's live entries (each renewed as it is read, if reads renew), dropping expired
   * ones on the way; a map left empty leaves the table once the iteration ends or is abandoned.
   */
  *#alive(): Generator<[MK, Stamped<V>]> {
    const key = this.context.key;
    const map = this.store.get(key) as Map<MK, Stamped<V>> | undefined;
    if (map === undefined) return;
    const now = this.clock();
    try {
      for (const [k, e] of map) {
        if (hasExpired(e, now, this.ms)) map.delete(k);
        else {
          if (this.renew) e.t = now;
          yield [k, e];
        }
      }
    } finally {
      if (map.size === 0 && this.store.get(key) === map) this.store.delete(key);
    }
  }
}
