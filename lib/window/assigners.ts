import { errors } from '../errors.ts';
import type { TimeDomain } from '../operator/timers.ts';
import type { JsonValue } from '../util/json.ts';
import { positiveMillis, toMillis, type Duration } from './duration.ts';
import { GLOBAL_WINDOW, type CountWindow, type GlobalWindow, type TimeWindow, type Window } from './windows.ts';

/**
 * Window assigners: which windows a record belongs to. An assigner is plain data (its kind and
 * sizes, validated when it is made), plus `assignWindows` below. `describe` is what the graph
 * fingerprint compares; `merging` says whether its windows merge (sessions); `time` is the time
 * domain that places records: `'event'` (the record's timestamp; the default) or `'processing'`
 * (the clock when the record arrives).
 *
 * Timestamps are whole milliseconds: a fraction is dropped (floored) before assignment.
 */
interface Assigner {
  readonly describe: JsonValue;
  readonly merging: boolean;
  readonly time: TimeDomain;
}

/** `windows.tumbling`: back-to-back windows of `size` ms, starting at `offset` + k·size. */
export interface TumblingWindows extends Assigner {
  readonly kind: 'tumbling';
  readonly size: number;
  /** In [0, size): the offset given, brought into the first window. */
  readonly offset: number;
}

/** `windows.sliding`: windows of `size` ms, one starting every `slide` ms (at `offset` + k·slide). */
export interface SlidingWindows extends Assigner {
  readonly kind: 'sliding';
  readonly size: number;
  readonly slide: number;
  /** In [0, slide). */
  readonly offset: number;
}

/** `windows.session`: a record at t opens `[t, t + gap)`; windows that overlap merge. */
export interface SessionWindows<T = unknown> extends Assigner {
  readonly kind: 'session';
  /** The gap in ms, or the function giving each record's gap. */
  readonly gap: number | ((record: T) => number);
}

/** `windows.global()`: one window per key, for ever; a trigger says when it fires. */
export interface GlobalWindows extends Assigner {
  readonly kind: 'global';
}

/** `windows.countTumbling` / `countSliding`: windows of `size` records, one every `slide` records. */
export interface CountWindows extends Assigner {
  readonly kind: 'count';
  readonly size: number;
  readonly slide: number;
}

/** Any assigner; `T` is the record type a per-record session gap reads. */
export type WindowAssigner<T = unknown> = TumblingWindows | SlidingWindows | SessionWindows<T> | GlobalWindows | CountWindows;

/** The window type an assigner gives: what `window(...)` functions receive. */
export type WindowOf<A> = A extends CountWindows ? CountWindow : A extends GlobalWindows ? GlobalWindow : TimeWindow;

/** Options of `windows.tumbling`. */
export interface TumblingOptions {
  readonly size: Duration;
  /** Shifts the windows' starts: `{ hours: -8 }` aligns daily windows to UTC−8. Default 0. */
  readonly offset?: Duration;
  readonly time?: TimeDomain;
}

/** Options of `windows.sliding`; a slide larger than the size leaves gaps no window covers. */
export interface SlidingOptions {
  readonly size: Duration;
  readonly slide: Duration;
  readonly offset?: Duration;
  readonly time?: TimeDomain;
}

/** Options of `windows.session`: one gap for all records, or a gap per record (`gapOf`, in ms). */
export type SessionOptions<T> = { readonly gap: Duration; readonly time?: TimeDomain } | { readonly gapOf: (record: T) => number; readonly time?: TimeDomain };

/** Floor modulo: the result is in [0, m) for negative `x` too (JavaScript's % keeps the sign of x). */
const mod = (x: number, m: number): number => ((x % m) + m) % m;

function checkKeys(call: string, options: object, known: readonly string[], hint = ''): void {
  for (const key of Object.keys(options)) if (!known.includes(key)) throw errors.unknownWindowOption(call, key, known, hint);
}

function timeOf(call: string, time: unknown): TimeDomain {
  if (time === undefined || time === 'event' || time === 'processing') return time ?? 'event';
  throw errors.invalidWindowOption(call, 'time', "'event' or 'processing'", time);
}

function optionsObject(call: string, value: unknown, example: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw errors.invalidWindowOption(call, 'its argument', `an options object, e.g. ${example}`, value);
  return value as Record<string, unknown>;
}

/**
 * Whether the argument of a call that takes "a duration or options" is the options: an object
 * with an option's name. Anything else is read as the duration (and validated as one).
 */
const hasOption = (value: unknown, options: readonly string[]): boolean =>
  typeof value === 'object' && value !== null && options.some((option) => option in value);

function count(call: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw errors.invalidWindowOption(call, option, 'a whole number ≥ 1', value);
  return value;
}

/**
 * Tumbling windows: fixed-size, back to back, every record in exactly one. Takes the size (a
 * `Duration`), or `{ size, offset?, time? }`.
 *
 * @example
 * ```ts
 * windows.tumbling({ hours: 1 });                                   // [00:00, 01:00), [01:00, 02:00), …
 * windows.tumbling({ size: { days: 1 }, offset: { hours: -8 } });    // days in UTC−8
 * windows.tumbling({ size: 1_000, time: 'processing' });            // by the clock, not the records
 * ```
 */
function tumbling(size: Duration | TumblingOptions): TumblingWindows {
  const call = 'windows.tumbling';
  const options = (hasOption(size, ['size', 'offset', 'time']) ? size : { size }) as TumblingOptions;
  checkKeys(call, options, ['size', 'offset', 'time'], 'Give the size alone (windows.tumbling({ hours: 1 })) or as { size: { hours: 1 }, offset, time }.');
  const ms = positiveMillis(options.size, call, 'size');
  const offset = mod(toMillis(options.offset ?? 0, call, 'offset'), ms);
  const time = timeOf(call, options.time);
  return { kind: 'tumbling', size: ms, offset, time, merging: false, describe: { kind: 'tumbling', size: ms, offset, time } };
}

/**
 * Sliding windows: `size` ms long, a new one every `slide` ms, so a record is in about size/slide
 * of them. A slide above the size leaves gaps: records there are in no window (not late, just
 * not covered).
 *
 * @example
 * ```ts
 * windows.sliding({ size: { minutes: 10 }, slide: { minutes: 1 } }); // the last ten minutes, every minute
 * ```
 */
function sliding(options: SlidingOptions): SlidingWindows {
  const call = 'windows.sliding';
  checkKeys(call, optionsObject(call, options, '{ size: { minutes: 10 }, slide: { minutes: 1 } }'), ['size', 'slide', 'offset', 'time']);
  const size = positiveMillis(options.size, call, 'size');
  const slide = positiveMillis(options.slide, call, 'slide');
  const offset = mod(toMillis(options.offset ?? 0, call, 'offset'), slide);
  const time = timeOf(call, options.time);
  return { kind: 'sliding', size, slide, offset, time, merging: false, describe: { kind: 'sliding', size, slide, offset, time } };
}

/**
 * Session windows: a record at t opens the window `[t, t + gap)`, and windows that overlap merge,
 * so records less than `gap` apart share a session, and a silence of `gap` ms or more ends it (a
 * record exactly `gap` after the last one starts a new session: windows that only touch do not
 * merge). The gap is one `Duration`, or per record: `gapOf(record)` in whole ms above zero.
 *
 * @example
 * ```ts
 * windows.session({ minutes: 30 });                                 // the same as { gap: { minutes: 30 } }
 * windows.session({ gapOf: (click: Click) => (click.mobile ? 60_000 : 300_000) });
 * ```
 */
function session<T = unknown>(gap: Duration | SessionOptions<T>): SessionWindows<T> {
  const call = 'windows.session';
  const options = (hasOption(gap, ['gap', 'gapOf', 'time']) ? gap : { gap }) as SessionOptions<T>;
  const time = timeOf(call, options.time);
  if ('gapOf' in options) {
    checkKeys(call, options, ['gapOf', 'time']);
    if (typeof options.gapOf !== 'function') throw errors.invalidWindowOption(call, 'gapOf', 'a function (record) => ms', options.gapOf);
    return { kind: 'session', gap: options.gapOf, time, merging: true, describe: { kind: 'session', gap: 'per-record', time } };
  }
  checkKeys(call, options, ['gap', 'time'], 'Give the gap alone (windows.session({ minutes: 30 })), as { gap, time }, or per record as { gapOf, time }.');
  const ms = positiveMillis(options.gap, call, 'gap');
  return { kind: 'session', gap: ms, time, merging: true, describe: { kind: 'session', gap: ms, time } };
}

/**
 * The global window: all records of a key in one window that never ends. It fires only as its
 * trigger says, so a windowing on it must be given one (`.trigger(triggers.count(100))`).
 *
 * @example
 * ```ts
 * keyed.window(windows.global()).trigger(triggers.count(100)).reduce((a, b) => a + b);
 * ```
 */
function global(): GlobalWindows {
  return { kind: 'global', time: 'event', merging: false, describe: { kind: 'global' } };
}

/**
 * Count windows of `size` records per key, back to back: fires with every `size`-th record of the
 * key, then starts afresh. A partial window left when the input ends is not emitted (as Flink).
 *
 * @example
 * ```ts
 * keyed.window(windows.countTumbling(100)).aggregate(average); // one average per 100 records
 * ```
 */
function countTumbling(size: number): CountWindows {
  const n = count('windows.countTumbling', 'size', size);
  return { kind: 'count', size: n, slide: n, time: 'event', merging: false, describe: { kind: 'count', size: n, slide: n } };
}

/**
 * Sliding count windows: every `slide` records of a key, a window of its last `size` records
 * (fewer for the first windows, as Flink's countWindow(size, slide)).
 *
 * @example
 * ```ts
 * keyed.window(windows.countSliding(10, 1)).reduce(max); // the max of the last 10, at every record
 * ```
 */
function countSliding(size: number, slide: number): CountWindows {
  const call = 'windows.countSliding';
  const n = count(call, 'size', size);
  const s = count(call, 'slide', slide);
  return { kind: 'count', size: n, slide: s, time: 'event', merging: false, describe: { kind: 'count', size: n, slide: s } };
}

/** The window assigners. See each for an example. */
export const windows = { tumbling, sliding, session, global, countTumbling, countSliding } as const;

/**
 * The gap of a record in a per-record session; throws a RangeError for a gap that is not a whole
 * number of ms above zero (the operator running it names itself and the record).
 *
 * @example
 * ```ts
 * sessionGap(windows.session({ gapOf: (c: Click) => c.idleMs }), { idleMs: 30_000 }); // 30000
 * ```
 */
export function sessionGap<T>(assigner: SessionWindows<T>, record: T): number {
  if (typeof assigner.gap === 'number') return assigner.gap;
  const gap = assigner.gap(record);
  if (typeof gap !== 'number' || !(gap > 0) || !Number.isInteger(gap) || gap === Infinity) {
    throw new RangeError(`windows.session: gapOf must return a whole number of ms > 0, got ${String(gap)}`);
  }
  return gap;
}

/**
 * The whole ms of an event-time window operator's record, and the start of the latest window of the
 * grid `offset + k·slide` that holds it: what the event-time paths compute for every record they
 * cannot place at once. Small enough for V8 to inline (a double passed to a call that is not
 * inlined is boxed, a heap allocation per record). NaN (no timestamp) is refused.
 *
 * @example
 * ```ts
 * latestStartOf(12.5, 0, 5); // 10
 * ```
 */
export function latestStartOf(timestamp: number, offset: number, slide: number): number {
  if (timestamp !== timestamp) {
    throw errors.invalidWindowing('window()', 'event-time windows need records with timestamps: assign them (withTimestamps) before window(), or use time: "processing".');
  }
  const t = Math.floor(timestamp);
  // Division, not %: the remainder of doubles (times are above 2^31) is a call, the quotient an instruction.
  const latest = Math.floor((t - offset) / slide) * slide + offset;
  if (latest > t) return latest - slide;
  return latest + slide <= t ? latest + slide : latest;
}

/**
 * The windows a record belongs to, earliest first: `at` is its time (event or processing, as the
 * assigner's `time` says) for time windows, and the key's record number (0, 1, …) for count
 * windows. A session gives the record's own window; merging it is `mergeWindow`'s work.
 *
 * @example
 * ```ts
 * assignWindows(windows.sliding({ size: 10, slide: 5 }), rec, 12); // [{ start: 5, end: 15 }, { start: 10, end: 20 }]
 * assignWindows(windows.countTumbling(3), rec, 4);                   // [{ start: 3, end: 6 }]
 * ```
 */
export function assignWindows<T>(assigner: WindowAssigner<T>, record: T, at: number): Window[] {
  const t = Math.floor(at);
  switch (assigner.kind) {
    case 'tumbling': {
      const start = t - mod(t - assigner.offset, assigner.size);
      return [{ start, end: start + assigner.size }];
    }
    case 'sliding': {
      const { size, slide } = assigner;
      const last = t - mod(t - assigner.offset, slide);
      const out: Window[] = [];
      // Starts from the earliest window still holding t (start > t - size) up to the last.
      for (let start = last - Math.floor((size - 1 - (t - last)) / slide) * slide; start <= last; start += slide) {
        if (start > t - size) out.push({ start, end: start + size });
      }
      return out;
    }
    case 'session':
      return [{ start: t, end: t + sessionGap(assigner, record) }];
    case 'global':
      return [GLOBAL_WINDOW];
    case 'count': {
      // Window k holds the records numbered [k·slide − size, k·slide) and fires at record k·slide − 1.
      const { size, slide } = assigner;
      const out: Window[] = [];
      for (let k = Math.floor(t / slide) + 1; k * slide - size <= t; k++) out.push({ start: Math.max(0, k * slide - size), end: k * slide });
      return out;
    }
  }
}
