import type { TimeWindow } from './windows.ts';

/**
 * Session merging. A key's sessions are pairwise disjoint windows; a record's window joins the
 * sessions it overlaps, and the union of overlapping half-open windows is again one window.
 *
 * The semantics, chosen so that results never depend on when watermarks come: two windows merge
 * when they share at least one millisecond (`a.start < b.end && b.start < a.end`). With one gap,
 * records less than `gap` ms apart are in one session; a record `gap` ms or more after the
 * previous one starts a new session. (Flink also merges windows that only touch, `[0, 5)` and
 * `[5, 10)`; then a record at 5 could still join the session `[0, 5)` after the watermark 4 fired
 * it, and the result would depend on the watermark's timing.) A session fires at its
 * `maxTimestamp`, `end - 1`; any record that arrives on time after that has a timestamp of `end`
 * or more, so its window cannot overlap the fired session.
 */

/**
 * Whether two windows share at least one millisecond; windows that only touch do not.
 *
 * @example
 * ```ts
 * overlaps({ start: 0, end: 5 }, { start: 4, end: 9 }); // true
 * overlaps({ start: 0, end: 5 }, { start: 5, end: 9 }); // false
 * ```
 */
export const overlaps = (a: TimeWindow, b: TimeWindow): boolean => a.start < b.end && b.start < a.end;

/**
 * The smallest window holding both.
 *
 * @example
 * ```ts
 * cover({ start: 0, end: 5 }, { start: 3, end: 9 }); // { start: 0, end: 9 }
 * ```
 */
export const cover = (a: TimeWindow, b: TimeWindow): TimeWindow => ({ start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });

/** What adding a window to a key's sessions did. */
export interface Merge {
  /** The session the added window is now part of: itself, or the cover of it and `merged`. */
  readonly window: TimeWindow;
  /**
   * The existing sessions that `window` replaces, earliest first. Empty: `window` is a new
   * session. One, equal to `window`: the added window fell inside an existing session, which
   * stays as it is.
   */
  readonly merged: readonly TimeWindow[];
}

/**
 * Adds `added` to a key's `sessions` (pairwise disjoint, in any order): returns the session it
 * becomes part of and the sessions that merge into it. An out-of-order record can bridge two
 * sessions: both are in `merged`. The caller replaces the `merged` sessions by `window`, moving
 * their contents and timers to it.
 *
 * @example
 * ```ts
 * const sessions = [{ start: 0, end: 10 }, { start: 20, end: 30 }];
 * mergeWindow(sessions, { start: 8, end: 22 });
 * // { window: { start: 0, end: 30 }, merged: [{ start: 0, end: 10 }, { start: 20, end: 30 }] }
 * mergeWindow(sessions, { start: 12, end: 15 }); // { window: { start: 12, end: 15 }, merged: [] }
 * ```
 */
export function mergeWindow(sessions: Iterable<TimeWindow>, added: TimeWindow): Merge {
  const merged: TimeWindow[] = [];
  let window = added;
  // One pass is enough: the sessions are disjoint and every merged one overlaps `added`, so their
  // union with it has no hole, and a session overlapping that union overlaps one of its parts.
  for (const session of sessions) {
    if (!overlaps(session, added)) continue;
    merged.push(session);
    window = cover(window, session);
  }
  merged.sort((a, b) => a.start - b.start);
  return { window, merged };
}

/**
 * Whether a merge changed nothing: the added window fell inside one existing session.
 *
 * @example
 * ```ts
 * mergedIntoItself(mergeWindow([{ start: 0, end: 10 }], { start: 3, end: 8 })); // true
 * ```
 */
export const mergedIntoItself = (merge: Merge): boolean =>
  merge.merged.length === 1 && merge.merged[0]!.start === merge.window.start && merge.merged[0]!.end === merge.window.end;
