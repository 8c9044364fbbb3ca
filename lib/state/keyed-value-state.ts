import { keyGroupOf, type Key } from './key-groups.ts';

/**
 * One value per key, owned by one subtask. Values live in a flat Map: the key group of a key is
 * only computed when a snapshot is cut, not on every record (the hash was already paid once by the
 * upstream partitioner).
 *
 * @example
 * ```ts
 * const totals = ctx.keyedValueState<number>('total');
 * totals.set('AAPL', (totals.get('AAPL') ?? 0) + 100);
 * ```
 */
export class KeyedValueState<V> {
  readonly #values = new Map<Key, V>();

  get(key: Key): V | undefined {
    return this.#values.get(key);
  }

  set(key: Key, value: V): void {
    this.#values.set(key, value);
  }

  delete(key: Key): void {
    this.#values.delete(key);
  }

  /** Number of keys holding a value. */
  get size(): number {
    return this.#values.size;
  }

  entries(): IterableIterator<[Key, V]> {
    return this.#values.entries();
  }

  /** Plain data, grouped by key group so that a snapshot can be restored at another parallelism. */
  snapshot(maxParallelism: number): KeyedValueSnapshot<V> {
    const groups: Record<number, [Key, V][]> = {};
    for (const [key, value] of this.#values) {
      (groups[keyGroupOf(key, maxParallelism)] ??= []).push([key, value]);
    }
    return { groups };
  }

  /** Adds the entries of the given key groups (those this subtask owns) from a snapshot. */
  restore(snapshot: KeyedValueSnapshot<V>, ownsKeyGroup: (keyGroup: number) => boolean): void {
    for (const [group, entries] of Object.entries(snapshot.groups)) {
      if (!ownsKeyGroup(Number(group))) continue;
      for (const [key, value] of entries) this.#values.set(key, value);
    }
  }
}

/** A keyed value state as plain data: key group → entries. */
export interface KeyedValueSnapshot<V> {
  groups: Record<number, [Key, V][]>;
}

/**
 * The value state of the key of the record being processed, for `KeyedStream.process`
 * (Flink's `ValueState`).
 */
export interface ValueState<V> {
  /** The current key's value, or undefined if none was set. */
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}
