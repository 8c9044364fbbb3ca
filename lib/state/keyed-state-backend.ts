import { errors, type SubtaskLocation } from '../errors.ts';
import { keyGroupOf, keyGroupRange, type Key } from './key-groups.ts';
import type { StateDescriptor, ValueState } from './state-descriptors.ts';

/** The key a keyed operator is processing: set by its stage before every call, read by its state handles. */
export interface KeyContext {
  key: Key;
}

/** One declared state: its values by key. */
interface StateTable {
  readonly kind: StateDescriptor<unknown>['kind'];
  readonly values: Map<Key, unknown>;
}

/** Keyed state as plain data: state id → key group → entries, so it can be restored at another parallelism. */
export type KeyedStateSnapshot = Record<string, { kind: string; groups: Record<number, [Key, unknown][]> }>;

/** A value state's handle: the table's value at the context's current key. */
class ValueStateHandle<V> implements ValueState<V> {
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

/**
 * The keyed state of one subtask: a table per declared state (operator and name), each a flat Map
 * by key. A key's group is computed only when a snapshot is cut, not per record (the upstream
 * partitioner already paid for the hash once).
 */
export class KeyedStateBackend {
  readonly #tables = new Map<string, StateTable>();
  readonly #range: { start: number; end: number };

  constructor(
    subtaskIndex: number,
    parallelism: number,
    private readonly maxParallelism: number,
  ) {
    this.#range = keyGroupRange(subtaskIndex, parallelism, maxParallelism);
  }

  /** A handle on state `id` for the key in `keys`; asking twice for one id gives the same table. */
  handle<H>(id: string, descriptor: StateDescriptor<H>, keys: KeyContext, at: SubtaskLocation): H {
    const table = this.#table(id, descriptor.kind, at);
    switch (descriptor.kind) {
      case 'value':
        return new ValueStateHandle(table.values, keys, descriptor.initial) as H;
    }
  }

  /** Every key holding state in a state whose id starts with `prefix` (an operator's states). */
  /**
   * Every key holding state in a state whose id starts with `prefix` (an operator's states), each
   * once; as it iterates it sets `keys.key` (the operator's current key), so that handles read that
   * key's values. An iterator of its own rather than a generator: it runs once per key at the end of
   * a job, and a generator's resumption costs several times a Map iterator's step.
   */
  keysOf(prefix: string, keys: KeyContext): IterableIterator<Key> {
    const tables = [...this.#tables].filter(([id]) => id.startsWith(prefix)).map(([, t]) => t.values);
    const source: Iterator<Key> = tables.length === 1 ? tables[0]!.keys() : new Set(tables.flatMap((values) => [...values.keys()])).values();
    const iterator: IterableIterator<Key> = {
      next(): IteratorResult<Key> {
        const next = source.next();
        if (!next.done) keys.key = next.value;
        return next;
      },
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
  }

  /** Keys held, summed over states (a metric). */
  get keyCount(): number {
    let n = 0;
    for (const table of this.#tables.values()) n += table.values.size;
    return n;
  }

  snapshot(): KeyedStateSnapshot {
    const out: KeyedStateSnapshot = {};
    for (const [id, table] of this.#tables) {
      const groups: Record<number, [Key, unknown][]> = {};
      for (const [key, value] of table.values) (groups[keyGroupOf(key, this.maxParallelism)] ??= []).push([key, value]);
      out[id] = { kind: table.kind, groups };
    }
    return out;
  }

  /** Adds the entries of the key groups this subtask owns. */
  restore(snapshot: KeyedStateSnapshot): void {
    const { start, end } = this.#range;
    for (const [id, { kind, groups }] of Object.entries(snapshot)) {
      let table = this.#tables.get(id);
      if (!table) this.#tables.set(id, (table = { kind: kind as StateTable['kind'], values: new Map() }));
      for (const [group, entries] of Object.entries(groups)) {
        const g = Number(group);
        if (g < start || g >= end) continue;
        for (const [key, value] of entries) table.values.set(key, value);
      }
    }
  }

  #table(id: string, kind: StateTable['kind'], at: SubtaskLocation): StateTable {
    let table = this.#tables.get(id);
    if (!table) this.#tables.set(id, (table = { kind, values: new Map() }));
    else if (table.kind !== kind) throw errors.stateKindClash(at, id, table.kind, kind);
    return table;
  }
}
