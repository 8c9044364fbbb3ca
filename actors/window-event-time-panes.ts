import type { KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { attachKeyedState } from '../lib/state/keyed-values-view.ts';
import { latestStartOf, type SlidingWindows, type TumblingWindows } from '../lib/window/assigners.ts';
import type { UnboxedWindowContents } from './window-functions.ts';
import { Pane, PaneResults, Panes } from './window-panes.ts';

/** Where `current` points while no window is: a record's time is never within it (NaN compares false). */
const NONE = new Pane(NaN, { start: NaN, end: NaN });

/**
 * The window operator's path for tumbling or sliding windows of event time with the default
 * trigger and no allowed lateness, the most common windowing: window by window rather than key by
 * key. Each open window is one table of its keys (`Panes`); a record costs a lookup of its key in
 * the window it falls in, and when the watermark reaches a window's last millisecond all its keys
 * fire in one sweep, in the order of their first record, and the table goes whole. So it keeps no
 * timer at all (the key-by-key path, `eventTimeWindows`, registers and fires one per key and
 * window, and adds, finds and deletes each key's state per window), and nothing per key and window
 * but its contents. Results, their timestamps (the window's `maxTimestamp`), their order and late
 * records are those of the general path (`windowOperator`).
 *
 * A fired window's results go out with `collectAll`, pulled key by key as credit allows: a window of
 * many keys fires without holding all its results in memory at once.
 *
 * @example
 * ```ts
 * // windowOperator takes this path by itself for keyBy(...).window(windows.tumbling(...)) without .trigger() or .allowedLateness():
 * keyed.transform('per-10s', eventTimePanes(windows.tumbling({ seconds: 10 }), unboxedWindowContents(fn), undefined));
 * ```
 */
export function eventTimePanes<T, O, K extends Key>(
  assigner: TumblingWindows | SlidingWindows,
  contents: UnboxedWindowContents<T, O, K>,
  lateTag: OutputTag<T> | undefined,
): KeyedOperatorFactory<T, O, K> {
  const { size, offset } = assigner;
  const slide = assigner.kind === 'sliding' ? assigner.slide : size;
  const tumbling = slide === size;

  return () => {
    let ctx: KeyedOperatorContext<K>;
    const panes = new Panes((slot) => {
      const start = slot * slide + offset;
      return { start, end: start + size };
    });
    /** The window the last record went to, while it is open: with tumbling windows, where most records go. */
    let current = NONE;

    /** Adds a record to what its key holds in `pane`. `shared`: the record went into another window already. */
    const add = (pane: Pane, key: Key, record: T, shared: boolean): void => {
      const i = pane.index.get(key);
      if (i !== undefined) pane.held[i] = contents.add(pane.held[i], record, shared);
      else pane.put(key, contents.first(record, shared));
    };

    /** Every record the hot path in `process` does not take: the windows of its time, earliest first (as assignWindows). */
    const assign = (record: T): void => {
      const timestamp = ctx.timestamp;
      const latest = latestStartOf(timestamp, offset, slide);
      const t = Math.floor(timestamp);
      const watermark = ctx.watermark;
      let assigned = 0;
      let taken = 0;
      for (let start = latest - Math.floor((size - 1 - (t - latest)) / slide) * slide; start <= latest; start += slide) {
        if (start <= t - size) continue;
        assigned++;
        // Without lateness a window takes records until the watermark reaches its last millisecond, when it fires and goes.
        if (start + size - 1 <= watermark) continue;
        const pane = panes.at((start - offset) / slide);
        add(pane, ctx.key, record, taken > 0);
        taken++;
        current = pane;
      }
      // A record in no window (a slide above the size leaves gaps) is not late, only not covered.
      if (taken === 0 && assigned > 0) {
        if (lateTag !== undefined) ctx.output(lateTag, record);
        ctx.countLateRecord();
      }
    };

    return {
      open(context) {
        ctx = context;
        attachKeyedState(ctx, 'windows', panes);
      },

      // Kept small, so that V8 inlines it into the chain's loop: a record for the window the last one
      // went to (tumbling windows only: a sliding window's record goes to several), which is open,
      // so the record is not late; the rest, `assign`.
      process(record) {
        const pane = current;
        const timestamp = ctx.timestamp;
        // False for NaN (no timestamp): assign reports it.
        if (tumbling && timestamp >= pane.window.start && timestamp < pane.window.end) {
          const key = ctx.key;
          const i = pane.index.get(key);
          if (i !== undefined) pane.held[i] = contents.add(pane.held[i], record, false);
          else pane.put(key, contents.first(record, false));
          return;
        }
        assign(record);
      },

      onWatermark(watermark, out) {
        for (let pane = panes.takeDue(watermark); pane !== undefined; pane = panes.takeDue(watermark)) {
          if (pane === current) current = NONE;
          ctx.setTimestamp(pane.last);
          out.collectAll(new PaneResults(pane, contents));
        }
      },
    };
  };
}
