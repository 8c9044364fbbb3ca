import type { Collector, KeyedOperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { SessionWindows, SlidingWindows, TumblingWindows } from '../lib/window/assigners.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import type { WindowFunction } from './window-functions.ts';
import { windowOperator } from './window-operator.ts';

/** The windows two-input windowings (join, coGroup, intersect, except) and `distinct` take: windows of time. */
export type TimeWindowAssigner<T = unknown> = TumblingWindows | SlidingWindows | SessionWindows<T>;

/**
 * A record of either input in a two-input window, as the window keeps it: its side (`s`: 0 the
 * first input, 1 the second), its event time (`t`) and itself (`v`). Plain data, so windows
 * snapshot as they always do.
 */
export type Sided<A, B> = { readonly s: 0; readonly t: number; readonly v: A } | { readonly s: 1; readonly t: number; readonly v: B };

/** A record with its event time, as `distinct` keeps the earliest of a window. */
export interface Timed<T> {
  readonly t: number;
  readonly v: T;
}

/**
 * The assigner as it reads wrapped records: a session gap per record (`gapOf`) is asked of the
 * record itself, not of its wrapping.
 */
export function wrappedAssigner<T, W extends { v: T }>(assigner: TimeWindowAssigner<T>): TimeWindowAssigner<W> {
  if (assigner.kind !== 'session' || typeof assigner.gap !== 'function') return assigner as TimeWindowAssigner<W>;
  const gap = assigner.gap;
  return { ...assigner, gap: (record: W) => gap(record.v) };
}

function* withoutNull<O>(records: Iterable<O | null>): Generator<O> {
  for (const record of records) if (record !== null) yield record;
}

/**
 * A collector that passes on what is not `null`: an incremental window function that decides at
 * the end whether its window gives a result (intersect, except) returns `null` for "none".
 */
const skippingNull = <O>(out: Collector<O>): Collector<O | null> => ({
  collect: (record) => {
    if (record !== null) out.collect(record);
  },
  // Lazily, so that what the window pulls as credit allows (see collectAll) is still pulled so.
  collectAll: (records) => out.collectAll(withoutNull(records)),
});

/**
 * The operator of every two-input windowing: the window operator of one keyed stream, fed from
 * both inputs with each record tagged by its side and time (`Sided`), the way Flink's coGroup
 * unions two tagged streams, but without the extra union and map. Keys come from each input's
 * own key selector (a keyed two-input operator); windows, their state, timers, lateness and the
 * final watermark are the window operator's. A window function result of `null` emits nothing.
 *
 * @example
 * ```ts
 * const pairs = twoSidedWindowOperator<Order, Payment, string, string>(windows.tumbling(1000), {
 *   kind: 'process',
 *   process: (key, w, records, out) => out.collect(`${key}@${w.start}: ${records.length}`),
 * });
 * ```
 */
export function twoSidedWindowOperator<A, B, O, K extends Key>(
  assigner: TimeWindowAssigner<A | B>,
  fn: WindowFunction<Sided<A, B>, O | null, K, TimeWindow>,
): TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>> {
  const windowed = windowOperator<Sided<A, B>, O | null, K, TimeWindow>({ assigner: wrappedAssigner<A | B, Sided<A, B>>(assigner), fn });
  return () => {
    const inner = windowed();
    let ctx: KeyedOperatorContext<K>;
    return {
      open(context) {
        ctx = context;
        inner.open?.(context);
      },
      process1: (v, out) => inner.process({ s: 0, t: ctx.timestamp, v }, skippingNull(out)),
      process2: (v, out) => inner.process({ s: 1, t: ctx.timestamp, v }, skippingNull(out)),
      onTimer: (time, domain, out) => inner.onTimer?.(time, domain, skippingNull(out)),
      // Windows without lateness fire on the watermark, not on timers (see eventTimePanes).
      onWatermark: (watermark, out) => inner.onWatermark?.(watermark, skippingNull(out)),
      close: (out) => inner.close?.(skippingNull(out)),
    };
  };
}

/** The records of one side of a window, earliest first (ties in arrival order: the sort is stable). */
export function sideOf<A, B>(records: readonly Sided<A, B>[], side: 0): A[];
export function sideOf<A, B>(records: readonly Sided<A, B>[], side: 1): B[];
export function sideOf<A, B>(records: readonly Sided<A, B>[], side: 0 | 1): (A | B)[] {
  return records
    .filter((r) => r.s === side)
    .sort((x, y) => x.t - y.t)
    .map((r) => r.v);
}
