import type { Key } from './key-groups.ts';
import type { StateKind } from './state-descriptors.ts';

/**
 * The two time lines a ttl is measured on. The runtime passes its clock and the operator's
 * watermark; specs pass counters they move by hand.
 */
export interface TtlTime {
  /** Processing time now, in milliseconds. */
  processing(): number;
  /** Event time now: the operator's watermark (−Infinity before the first). */
  event(): number;
}

/** The wall clock, and an event time that never starts: event-time entries live until a provider says otherwise. */
export const systemTtlTime: TtlTime = { processing: () => Date.now(), event: () => -Infinity };

/** The time line a state's entries are stamped on, or undefined for bare values (no ttl). */
export type Stamping = 'processing' | 'event' | undefined;

/**
 * How a state with a ttl stores one value: the value and the time of its last write (or read, with
 * `onReadAndWrite`). Handles never hand this wrapper out.
 */
export interface Stamped<V> {
  v: V;
  t: number;
}

/**
 * Whether entry `e` has expired at `now`: `ms` have passed since its stamp. An entry stamped while
 * its time line had not started (event time before the first watermark is −Infinity) takes the
 * first time it is looked at (read, swept, snapshotted) once time has started as its stamp: it
 * never expires early, where counting from −∞ would expire every such entry with the first
 * watermark. A difference, not `t + ms <= now`, so that infinite times compare as NaN (alive).
 */
export function hasExpired(e: Stamped<unknown>, now: number, ms: number): boolean {
  if (e.t === -Infinity) {
    if (now !== -Infinity) e.t = now;
    return false;
  }
  return now - e.t >= ms;
}

/**
 * Drops the expired parts of the state stored under `key` (the key itself when nothing is left);
 * returns how many entries it examined: one for a value, one per element or map entry (at least
 * one), so that a sweep's budget bounds its work.
 */
export function reclaim(values: Map<Key, unknown>, key: Key, stored: unknown, kind: StateKind, now: number, ms: number): number {
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      if (hasExpired(stored as Stamped<unknown>, now, ms)) values.delete(key);
      return 1;
    case 'list': {
      const list = stored as Stamped<unknown>[];
      const examined = list.length;
      if (dropExpired(list, now, ms) === 0) values.delete(key);
      return Math.max(1, examined);
    }
    case 'map': {
      const entries = stored as Map<Key, Stamped<unknown>>;
      const examined = entries.size;
      for (const [k, e] of entries) if (hasExpired(e, now, ms)) entries.delete(k);
      if (entries.size === 0) values.delete(key);
      return Math.max(1, examined);
    }
  }
}

/** Removes the expired elements of a list in place, keeping the order of the rest; returns how many remain. */
export function dropExpired(list: Stamped<unknown>[], now: number, ms: number): number {
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (!hasExpired(e, now, ms)) list[kept++] = e;
  }
  list.length = kept;
  return kept;
}

/**
 * The state stored under one key, changed from stamping `from` to stamping `to`: wrapped with the
 * time `now` (a state restored from a job without ttl, or whose ttl changed time line, starts a full
 * life), or unwrapped (a ttl was taken away).
 */
export function restamp(kind: StateKind, stored: unknown, from: Stamping, to: Stamping, now: number): unknown {
  if (from === to) return stored;
  const unwrap = from === undefined ? (v: unknown) => v : (e: unknown) => (e as Stamped<unknown>).v;
  const wrap = to === undefined ? (v: unknown) => v : (v: unknown): Stamped<unknown> => ({ v, t: now });
  const change = (x: unknown) => wrap(unwrap(x));
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      return change(stored);
    case 'list':
      return (stored as unknown[]).map(change);
    case 'map':
      return new Map([...(stored as Map<Key, unknown>)].map(([k, v]) => [k, change(v)]));
  }
}
