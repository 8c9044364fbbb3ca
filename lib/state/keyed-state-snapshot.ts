import type { Key } from './key-groups.ts';
import type { StateKind } from './state-descriptors.ts';
import type { Stamped } from './state-ttl.ts';

/**
 * Keyed state as plain data: state id → its kind, how its entries are stamped, and its entries by
 * key group, so that it can be restored at another parallelism (a subtask takes the groups it owns).
 * Everything in it survives `JSON.stringify` as long as the stored values do: map state becomes
 * `[mapKey, value]` pairs, a ttl entry `[value, time]`, and the numbers JSON cannot hold (a key or
 * a time that is NaN or ±Infinity) are written as `{ n: 'Infinity' }` (keys) or `'Infinity'` (times).
 *
 * @example
 * ```ts
 * const copy: KeyedStateSnapshot = JSON.parse(JSON.stringify(backend.snapshot()));
 * other.restore(copy); // takes the key groups `other` owns
 * ```
 */
export type KeyedStateSnapshot = Record<string, StateTableSnapshot>;

/** One state's entries as plain data. */
export interface StateTableSnapshot {
  kind: StateKind;
  /** Present when the entries carry their last-write times: the time line those are on. */
  ttl?: 'processing' | 'event';
  /** Key group → `[key, entry]` pairs. */
  groups: Record<number, [SnapshotKey, unknown][]>;
}

/** A key (or map key) as JSON holds it: a number JSON cannot write goes as `{ n: 'NaN' }`. */
export type SnapshotKey = Key | { n: string };

/** A time as JSON holds it: ±Infinity (event time before the first watermark, or after the last) as a string. */
export type SnapshotTime = number | string;

export const encodeKey = (key: Key): SnapshotKey => (typeof key === 'number' && !Number.isFinite(key) ? { n: String(key) } : key);

export const decodeKey = (key: SnapshotKey): Key => (typeof key === 'object' ? Number(key.n) : key);

export const encodeTime = (t: number): SnapshotTime => (Number.isFinite(t) ? t : String(t));

export const decodeTime = (t: SnapshotTime): number => (typeof t === 'string' ? Number(t) : t);

/**
 * One key's stored state as plain data; undefined when none of it is live. `live` says whether a
 * stamped entry is still alive (undefined: bare values, or a ttl not known yet).
 */
export function encodeEntry(kind: StateKind, stored: unknown, stamped: boolean, live: ((e: Stamped<unknown>) => boolean) | undefined): unknown {
  const one = stamped ? (e: unknown) => encodeStamped(e as Stamped<unknown>, live) : (v: unknown) => v;
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      return one(stored);
    case 'list': {
      const list: unknown[] = [];
      for (const e of stored as unknown[]) {
        const encoded = one(e);
        if (encoded !== undefined || !stamped) list.push(encoded);
      }
      return list.length === 0 ? undefined : list;
    }
    case 'map': {
      const entries: [SnapshotKey, unknown][] = [];
      for (const [k, e] of stored as Map<Key, unknown>) {
        const encoded = one(e);
        if (encoded !== undefined || !stamped) entries.push([encodeKey(k), encoded]);
      }
      return entries.length === 0 ? undefined : entries;
    }
  }
}

/** The stored form of what `encodeEntry` wrote. */
export function decodeEntry(kind: StateKind, encoded: unknown, stamped: boolean): unknown {
  const one = stamped ? decodeStamped : (v: unknown) => v;
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      return one(encoded);
    case 'list':
      return (encoded as unknown[]).map(one);
    case 'map':
      return new Map((encoded as [SnapshotKey, unknown][]).map(([k, e]) => [decodeKey(k), one(e)]));
  }
}

const encodeStamped = (e: Stamped<unknown>, live: ((e: Stamped<unknown>) => boolean) | undefined): [unknown, SnapshotTime] | undefined =>
  live === undefined || live(e) ? [e.v, encodeTime(e.t)] : undefined;

const decodeStamped = (encoded: unknown): Stamped<unknown> => {
  const [v, t] = encoded as [unknown, SnapshotTime];
  return { v, t: decodeTime(t) };
};
