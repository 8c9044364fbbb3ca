/**
 * Windows: the half-open range `[start, end)` of what one window holds. Every kind has the same
 * shape, so a window is plain data that state, timers and user functions all read alike.
 */

/**
 * A window of time, in ms: it holds the records with `start <= timestamp < end`, and is complete
 * once the watermark reaches `maxTimestamp(window)`, `end - 1`.
 *
 * @example
 * ```ts
 * const hour: TimeWindow = { start: 0, end: 3_600_000 }; // [00:00, 01:00)
 * maxTimestamp(hour); // 3_599_999
 * ```
 */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * A count window: the records of one key numbered `start` to `end - 1` in arrival order (the
 * key's first record is number 0). `countTumbling(3)` gives `[0, 3)`, `[3, 6)`, …; the first
 * windows of `countSliding(3, 1)` are `[0, 1)` and `[0, 2)` (they fire with fewer records).
 */
export interface CountWindow {
  readonly start: number;
  readonly end: number;
}

/** The one window of `windows.global()`: every record of a key, `[-Infinity, +Infinity)`. */
export interface GlobalWindow {
  readonly start: number;
  readonly end: number;
}

/** Any window. */
export type Window = TimeWindow | CountWindow | GlobalWindow;

/** The global window (frozen: it is shared). */
export const GLOBAL_WINDOW: GlobalWindow = Object.freeze({ start: -Infinity, end: Infinity });

/**
 * The last millisecond a window holds: its results carry this timestamp, and an event-time window
 * fires when the watermark reaches it. `+Infinity` for the global window.
 *
 * @example
 * ```ts
 * maxTimestamp({ start: 0, end: 10 }); // 9
 * ```
 */
export const maxTimestamp = (window: Window): number => window.end - 1;

/**
 * A window's name in state and timers: `start:end` (`-Infinity:Infinity` for the global window),
 * a string that survives JSON, unlike the global window's bounds.
 *
 * @example
 * ```ts
 * windowId({ start: 0, end: 10 }); // '0:10'
 * windowOfId('0:10');              // { start: 0, end: 10 }
 * ```
 */
export const windowId = (window: Window): string => `${window.start}:${window.end}`;

/** The window a `windowId` names. */
export function windowOfId(id: string): Window {
  const colon = id.indexOf(':', 1); // from 1: a negative start begins with '-', never with ':'
  return { start: Number(id.slice(0, colon)), end: Number(id.slice(colon + 1)) };
}

/**
 * Orders windows by end, then start: the order in which their event-time timers come due, so
 * windows that fire at one time fire in a fixed order.
 *
 * @example
 * ```ts
 * [{ start: 5, end: 15 }, { start: 0, end: 10 }].sort(byEnd); // [{ start: 0, end: 10 }, { start: 5, end: 15 }]
 * ```
 */
export const byEnd = (a: Window, b: Window): number => a.end - b.end || a.start - b.start;
