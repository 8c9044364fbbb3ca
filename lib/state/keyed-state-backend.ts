import { errors, type SubtaskLocation } from '../errors.ts';
import { keyGroupOf, keyGroupRange, type Key } from './key-groups.ts';
import type { KeyedValuesView } from './keyed-values-view.ts';
import { decodeEntry, decodeKey, encodeEntry, encodeKey, type KeyedStateSnapshot, type SnapshotKey } from './keyed-state-snapshot.ts';
import { byKeyGroup, columnsToSnapshot, setState, snapshotToColumns, type KeyedStateColumns } from './keyed-state-columns.ts';
import { AggregatingStateHandle, ListStateHandle, MapStateHandle, ReducingStateHandle, ValueStateHandle } from './plain-state-handles.ts';
import { describeDeclaration, type Declaration, type StateDescriptor, type StateKind, type TtlSettings } from './state-descriptors.ts';
import { hasExpired, reclaim, restamp, systemTtlTime, type Stamped, type Stamping, type TtlTime } from './state-ttl.ts';
import { TtlAggregatingStateHandle, TtlListStateHandle, TtlMapStateHandle, TtlReducingStateHandle, TtlValueStateHandle } from './ttl-state-handles.ts';

export type { KeyedStateSnapshot } from './keyed-state-snapshot.ts';
export type { TtlTime } from './state-ttl.ts';
export type { KeyedValuesView } from './keyed-values-view.ts';

/** The key a keyed operator is processing: set by its stage before every call, read by its state handles. */
export interface KeyContext {
  key: Key;
}

/** One state (operator and name): its entries by key, stored bare or stamped with their write times. */
interface StateTable {
  readonly kind: StateKind;
  /** How the entries are stored; a restored table keeps its snapshot's until a handle is taken. */
  stamping: Stamping;
  /** Whether a handle was taken: until then a table holds restored entries only, and its ttl is unknown. */
  declared: boolean;
  ttl: TtlSettings | undefined;
  /** Now, on the ttl's time line (tables with a ttl). */
  clock: (() => number) | undefined;
  readonly values: Map<Key, unknown>;
  /** Where an attached state's entries live instead of `values` (see `attach`). */
  view?: KeyedValuesView;
}

/**
 * The keyed state of one subtask: a table per declared state (operator and name), each a flat Map
 * by key. A key's group is computed only when a snapshot is cut, not per record (the upstream
 * partitioner already paid for the hash once).
 *
 * States with a ttl read the time from `time` (the runtime's clock and the operator's watermark);
 * their expired entries are invisible at once, and `sweep` reclaims them a budget at a time.
 *
 * @example
 * ```ts
 * const backend = new KeyedStateBackend(0, 1, 128);
 * const keys = { key: 'a' };
 * const counts = backend.handle('1/count', state.value(0), keys, at);
 * counts.update(counts.value() + 1);
 * ```
 */
export class KeyedStateBackend {
  readonly #tables = new Map<string, StateTable>();
  readonly #range: { start: number; end: number };
  readonly #time: TtlTime;
  /** The tables with a ttl, in the order a sweep visits them. */
  readonly #swept: StateTable[] = [];
  /** Where the last sweep stopped: the table, and its place in that table. */
  #sweepAt = 0;
  #sweepCursor: Iterator<[Key, unknown]> | undefined;

  constructor(
    subtaskIndex: number,
    parallelism: number,
    private readonly maxParallelism: number,
    time: TtlTime = systemTtlTime,
  ) {
    this.#range = keyGroupRange(subtaskIndex, parallelism, maxParallelism);
    this.#time = time;
  }

  /**
   * A handle on state `id` for the key in `keys`; asking twice for one id gives the same table.
   * `time` replaces the backend's time for this state's ttl (an operator's own watermark, say);
   * the first handle taken on a state sets it.
   */
  handle<H>(id: string, descriptor: StateDescriptor<H>, keys: KeyContext, at: SubtaskLocation, time: TtlTime = this.#time): H {
    const d = descriptor as Declaration;
    const table = this.#declare(id, d, at, time);
    const { values, ttl, clock } = table;
    if (ttl === undefined) {
      switch (d.kind) {
        case 'value':
          return new ValueStateHandle(values, keys, d.initial) as H;
        case 'list':
          return new ListStateHandle(values, keys) as H;
        case 'map':
          return new MapStateHandle(values, keys) as H;
        case 'reducing':
          return new ReducingStateHandle(values, keys, d.reduce) as H;
        case 'aggregating':
          return new AggregatingStateHandle(values, keys, d.aggregate) as H;
      }
    }
    switch (d.kind) {
      case 'value':
        return new TtlValueStateHandle(values, keys, ttl, clock!, d.initial) as H;
      case 'list':
        return new TtlListStateHandle(values, keys, ttl, clock!) as H;
      case 'map':
        return new TtlMapStateHandle(values, keys, ttl, clock!) as H;
      case 'reducing':
        return new TtlReducingStateHandle(values, keys, ttl, clock!, d.reduce) as H;
      case 'aggregating':
        return new TtlAggregatingStateHandle(values, keys, ttl, clock!, d.aggregate) as H;
    }
  }

  /**
   * Hands state `id` to the operator's own structure (see `KeyedValuesView`): from now on snapshots,
   * restores and key listings go through `view`; entries restored before are moved into it now.
   * No handle can be taken on it, and it has no ttl.
   */
  attach(id: string, view: KeyedValuesView, at: SubtaskLocation): void {
    const table = this.#tables.get(id);
    if (table === undefined) {
      this.#tables.set(id, { kind: 'value', stamping: undefined, declared: true, ttl: undefined, clock: undefined, values: new Map(), view });
      return;
    }
    if (table.declared || table.kind !== 'value' || table.stamping !== undefined) {
      throw errors.stateKindClash(at, id, describeDeclaration(table.kind, table.ttl), 'a state of its own structure (a value state without ttl)');
    }
    for (const [key, stored] of table.values) view.restore(key, stored);
    table.values.clear();
    table.declared = true;
    table.view = view;
  }

  /**
   * Every key holding live state in a state whose id starts with `prefix` (an operator's states),
   * each once; as it iterates it sets `keys.key` (the operator's current key), so that handles read
   * that key's values. An iterator of its own rather than a generator: it runs once per key at the
   * end of a job, and a generator's resumption costs several times a Map iterator's step.
   */
  keysOf(prefix: string, keys: KeyContext): IterableIterator<Key> {
    const tables = [...this.#tables].filter(([id]) => id.startsWith(prefix)).map(([, t]) => t);
    // Expired entries are invisible: reclaim them first, so that no key is listed for them alone.
    for (const table of tables) if (table.ttl !== undefined) this.#reclaimAll(table);
    const keysOf = (table: StateTable): IterableIterator<Key> => table.view?.keys() ?? table.values.keys();
    const source: Iterator<Key> = tables.length === 1 ? keysOf(tables[0]!) : new Set(tables.flatMap((table) => [...keysOf(table)])).values();
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

  /** Keys held, summed over states (a metric); expired entries count until a sweep or a read drops them. */
  get keyCount(): number {
    let n = 0;
    for (const table of this.#tables.values()) n += table.view?.size ?? table.values.size;
    return n;
  }

  /** True once a state with a TTL has been declared: there is something to sweep. */
  get expires(): boolean {
    return this.#swept.length > 0;
  }

  /**
   * Examines up to about `budget` entries of the states with a ttl and deletes the expired ones;
   * returns how many it examined. It resumes where the last sweep stopped and goes round the tables
   * in turn, so that repeated small sweeps cover everything: the runtime calls it between batches
   * with a small budget, bounding the pause, instead of scanning all state at once. An element of a
   * list or an entry of a map counts as one (a key's list is examined whole, so a sweep may pass its
   * budget by one key's list).
   */
  sweep(budget: number): number {
    const tables = this.#swept;
    if (tables.length === 0) return 0;
    let examined = 0;
    // Tables in a row found exhausted: once every table was, a round is complete and the sweep ends.
    let exhausted = 0;
    let table = tables[this.#sweepAt]!;
    let now = table.clock!();
    while (examined < budget) {
      if (this.#sweepCursor === undefined) {
        if (exhausted >= tables.length) break;
        table = tables[this.#sweepAt]!;
        now = table.clock!();
        this.#sweepCursor = table.values.entries();
      }
      const next = this.#sweepCursor.next();
      if (next.done) {
        this.#sweepCursor = undefined;
        this.#sweepAt = (this.#sweepAt + 1) % tables.length;
        exhausted++;
        continue;
      }
      exhausted = 0;
      const [key, stored] = next.value;
      examined += reclaim(table.values, key, stored, table.kind, now, table.ttl!.ms);
    }
    return examined;
  }

  /**
   * Every state's live entries as plain data, grouped by key group (see `KeyedStateSnapshot`).
   * With `prefix` (an operator's, `3/`), only the states whose id starts with it, named without it.
   */
  snapshot(prefix = ''): KeyedStateSnapshot {
    return columnsToSnapshot(this.snapshotColumns(prefix));
  }

  /** What `snapshot` gives, as columns (see `StateColumns`): what a checkpoint cuts at its barrier. */
  snapshotColumns(prefix = ''): KeyedStateColumns {
    const out: KeyedStateColumns = {};
    for (const [id, table] of this.#tables) {
      if (!id.startsWith(prefix)) continue;
      const { kind, stamping, ttl, clock } = table;
      const stamped = stamping !== undefined;
      let live: ((e: Stamped<unknown>) => boolean) | undefined;
      if (ttl !== undefined) {
        const now = clock!();
        live = (e) => !hasExpired(e, now, ttl.ms);
      }
      const keys: SnapshotKey[] = [];
      const entries: unknown[] = [];
      const groupOf: number[] = [];
      // Bare single values are their own encoding: the common case skips encodeEntry's dispatch.
      const asIs = !stamped && kind !== 'list' && kind !== 'map';
      for (const [key, stored] of table.view?.entries() ?? table.values) {
        const encoded = asIs ? stored : encodeEntry(kind, stored, stamped, live);
        if (encoded === undefined) continue;
        keys.push(encodeKey(key));
        entries.push(encoded);
        groupOf.push(keyGroupOf(key, this.maxParallelism));
      }
      setState(out, id.slice(prefix.length), byKeyGroup(stamped ? { kind, ttl: stamping } : { kind }, keys, entries, groupOf, this.maxParallelism));
    }
    return out;
  }

  /**
   * Adds the entries of the key groups this subtask owns; restoring the snapshots of every subtask
   * of an earlier run, at any parallelism, gives each subtask exactly its keys. A state restored
   * before it is declared keeps its entries as they came until a handle is taken. `prefix` is put
   * in front of every state's name (an operator's, for what `snapshot(prefix)` cut).
   */
  restore(snapshot: KeyedStateSnapshot, prefix = ''): void {
    this.restoreColumns(snapshotToColumns(snapshot), prefix);
  }

  /** What `restore` does, from columns (see `StateColumns`). */
  restoreColumns(columns: KeyedStateColumns, prefix = ''): void {
    const { start, end } = this.#range;
    for (const [name, { kind, ttl: from, groups, ends, keys, entries }] of Object.entries(columns)) {
      const id = prefix + name;
      let table = this.#tables.get(id);
      if (!table) this.#tables.set(id, (table = { kind, stamping: from, declared: false, ttl: undefined, clock: undefined, values: new Map() }));
      else if (table.kind !== kind) throw errors.restoredKindClash(id, describeDeclaration(table.kind, table.ttl), `${kind} state`);
      const to = table.stamping;
      const now = from === to ? NaN : this.#now(table);
      const { values, view } = table;
      // Bare single values stored as they came: the common case, and a million keys cost only their Map.set.
      const asIs = from === undefined && to === undefined && kind !== 'list' && kind !== 'map';
      let first = 0;
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!;
        const last = ends[i]!;
        if (g >= start && g < end) {
          for (let j = first; j < last; j++) {
            const value = asIs ? entries[j] : restamp(kind, decodeEntry(kind, entries[j], from !== undefined), from, to, now);
            if (view) view.restore(decodeKey(keys[j]!), value);
            else values.set(decodeKey(keys[j]!), value);
          }
        }
        first = last;
      }
    }
  }

  /** The table of state `id` for a handle of `d`: created, checked against earlier handles, or taken over from a restore. */
  #declare(id: string, d: Declaration, at: SubtaskLocation, time: TtlTime): StateTable {
    const ttl = d.ttl;
    const clock = ttl === undefined ? undefined : ttl.time === 'event' ? () => time.event() : () => time.processing();
    let table = this.#tables.get(id);
    if (!table) {
      this.#tables.set(id, (table = { kind: d.kind, stamping: ttl?.time, declared: true, ttl, clock, values: new Map() }));
    } else if (table.declared) {
      if (table.view) throw errors.stateKindClash(at, id, 'a state of its own structure', describeDeclaration(d.kind, ttl));
      if (table.kind !== d.kind || !sameTtl(table.ttl, ttl)) throw errors.stateKindClash(at, id, describeDeclaration(table.kind, table.ttl), describeDeclaration(d.kind, ttl));
      return table;
    } else {
      if (table.kind !== d.kind) throw errors.restoredKindClash(id, describeDeclaration(d.kind, ttl), `${table.kind} state`);
      // Restored entries take the declaration's form once: stamped now if a ttl came (a full life), bare if it went.
      if (table.stamping !== ttl?.time) {
        const now = clock?.() ?? NaN;
        for (const [key, stored] of table.values) table.values.set(key, restamp(table.kind, stored, table.stamping, ttl?.time, now));
      }
      table.stamping = ttl?.time;
      table.declared = true;
      table.ttl = ttl;
      table.clock = clock;
    }
    if (ttl !== undefined) this.#swept.push(table);
    return table;
  }

  /** Now on the time line of a table's stamps. */
  #now(table: StateTable): number {
    if (table.clock !== undefined) return table.clock();
    return table.stamping === 'event' ? this.#time.event() : this.#time.processing();
  }

  #reclaimAll(table: StateTable): void {
    const now = table.clock!();
    for (const [key, stored] of table.values) reclaim(table.values, key, stored, table.kind, now, table.ttl!.ms);
  }
}

const sameTtl = (a: TtlSettings | undefined, b: TtlSettings | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.ms === b.ms && a.time === b.time && a.update === b.update);
