import type { KeyedStateSnapshot, SnapshotKey, StateTableSnapshot } from './keyed-state-snapshot.ts';

/**
 * One state's entries as columns in key-group order: what a checkpoint cuts and restores, without
 * the `[key, entry]` array per key of the plain snapshot (`KeyedStateSnapshot`), which is made from
 * these only when someone reads the checkpoint. A million keys cost a million small arrays to make,
 * to serialize and to walk again on restore; columns cost two arrays.
 *
 * @example
 * ```ts
 * const columns = backend.snapshotColumns('3/');
 * other.restoreColumns(columns, '3/'); // takes the key groups `other` owns
 * columnsToSnapshot(columns); // the plain form, as backend.snapshot('3/') gives it
 * ```
 */
export interface StateColumns {
  readonly kind: StateTableSnapshot['kind'];
  readonly ttl?: StateTableSnapshot['ttl'];
  /** The key groups present, ascending, and where each one's entries end in the columns (exclusive). */
  readonly groups: readonly number[];
  readonly ends: readonly number[];
  readonly keys: readonly SnapshotKey[];
  readonly entries: readonly unknown[];
}

/** State name → its columns. */
export type KeyedStateColumns = Record<string, StateColumns>;

/** Sets `record[name]` as an own property whatever the name: a state named `__proto__` is a state, not a prototype. */
export function setState<T>(record: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Columns of entries given in any order, each with its key group: a counting sort by group (two
 * passes, stable, so a group keeps its entries' order).
 */
export function byKeyGroup(
  table: Pick<StateTableSnapshot, 'kind' | 'ttl'>,
  keys: readonly SnapshotKey[],
  entries: readonly unknown[],
  groupOf: readonly number[],
  maxParallelism: number,
): StateColumns {
  const counts = new Int32Array(maxParallelism + 1);
  for (let i = 0; i < groupOf.length; i++) counts[groupOf[i]! + 1]!++;
  const groups: number[] = [];
  const ends: number[] = [];
  for (let g = 0; g < maxParallelism; g++) {
    const n = counts[g + 1]!;
    counts[g + 1] = counts[g]! + n;
    if (n > 0) groups.push(g), ends.push(counts[g + 1]!);
  }
  // counts[g] is now where group g starts.
  const sortedKeys = new Array<SnapshotKey>(keys.length);
  const sortedEntries = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const at = counts[groupOf[i]!]!++;
    sortedKeys[at] = keys[i]!;
    sortedEntries[at] = entries[i];
  }
  const columns = { kind: table.kind, groups, ends, keys: sortedKeys, entries: sortedEntries };
  return table.ttl === undefined ? columns : { ...columns, ttl: table.ttl };
}

/** The plain snapshot of `columns`, with the key groups `keep` allows (all by default). */
export function columnsToSnapshot(columns: KeyedStateColumns, keep: (group: number) => boolean = () => true): KeyedStateSnapshot {
  const out: KeyedStateSnapshot = {};
  for (const [name, { kind, ttl, groups, ends, keys, entries }] of Object.entries(columns)) {
    const byGroup: StateTableSnapshot['groups'] = {};
    let start = 0;
    groups.forEach((group, i) => {
      const end = ends[i]!;
      if (keep(group)) {
        const pairs: [SnapshotKey, unknown][] = (byGroup[group] = []);
        for (let j = start; j < end; j++) pairs.push([keys[j]!, entries[j]]);
      }
      start = end;
    });
    setState(out, name, ttl === undefined ? { kind, groups: byGroup } : { kind, ttl, groups: byGroup });
  }
  return out;
}

/** The columns of a plain snapshot (one restored from a file, say). */
export function snapshotToColumns(snapshot: KeyedStateSnapshot): KeyedStateColumns {
  const out: KeyedStateColumns = {};
  for (const [name, table] of Object.entries(snapshot)) {
    const groups: number[] = [];
    const ends: number[] = [];
    const keys: SnapshotKey[] = [];
    const entries: unknown[] = [];
    // Ascending group order, as the columns promise (a snapshot from elsewhere may list them in any).
    for (const group of Object.keys(table.groups).map(Number).sort((a, b) => a - b)) {
      for (const [key, entry] of table.groups[group]!) keys.push(key), entries.push(entry);
      groups.push(group);
      ends.push(keys.length);
    }
    const columns = { kind: table.kind, groups, ends, keys, entries };
    setState<StateColumns>(out, name, table.ttl === undefined ? columns : { ...columns, ttl: table.ttl });
  }
  return out;
}
