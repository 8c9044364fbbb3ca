import { errors } from '../lib/errors.ts';
import type { Collector, KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';
import type { SlidingWindows, TumblingWindows } from '../lib/window/assigners.ts';
import { windowId, type TimeWindow } from '../lib/window/windows.ts';
import type { WindowContents } from './window-functions.ts';
import type { KeyWindows, WindowSlot } from './window-slots.ts';

/** Floor modulo, as the assigners compute window starts. */
const mod = (x: number, m: number): number => ((x % m) + m) % m;

/**
 * The window operator's path for the most common windowing: tumbling or sliding windows of event
 * time with the default trigger (fire when the watermark reaches `maxTimestamp`, again for each
 * record within the allowed lateness; state goes at `maxTimestamp + lateness`). It computes what
 * the general path (`windowOperator`) does, with the same results, timestamps and late records,
 * and keeps its state in the same form (`KeyWindows`, plain data per key), without what it can
 * compute: the trigger's timers and the cleanup time of a window follow from its bounds, and the
 * window a timer is for follows from the timer's time (among windows of one size, one ends at
 * `time + 1`). So a record costs a lookup of its key and of its window, and a timer is registered
 * once per key and window, not per record.
 *
 * @example
 * ```ts
 * // windowOperator takes this path by itself for keyBy(...).window(windows.tumbling(...)) without .trigger():
 * keyed.transform('per-10s', eventTimeWindows(windows.tumbling({ seconds: 10 }), windowContents(fn), 0));
 * ```
 */
export function eventTimeWindows<T, O, K extends Key>(
  assigner: TumblingWindows | SlidingWindows,
  contents: WindowContents<T, O, K>,
  lateness: number,
  lateTag: OutputTag<T> | undefined,
): KeyedOperatorFactory<T, O, K> {
  const { size, offset } = assigner;
  const slide = assigner.kind === 'sliding' ? assigner.slide : size;
  /** Windows (and their ids) remembered, by start: records come nearly in order, so most are found here. */
  const CACHED = 16;

  return () => {
    let ctx: KeyedOperatorContext<K>;
    let keyed: ValueState<KeyWindows | undefined>;
    const starts = new Float64Array(CACHED).fill(NaN);
    const cachedWindows: TimeWindow[] = [];
    const cachedIds: string[] = [];

    /** The place of the window starting at `start` in the cache, where it is now (shared, never changed). */
    const cached = (start: number): number => {
      const i = ((start - offset) / slide) & (CACHED - 1);
      if (starts[i] !== start) {
        const window = { start, end: start + size };
        starts[i] = start;
        cachedWindows[i] = window;
        cachedIds[i] = windowId(window);
      }
      return i;
    };

    const emit = (slot: WindowSlot, window: TimeWindow, out: Collector<O>, kept: boolean): void => {
      ctx.setTimestamp(window.end - 1);
      contents.emit(slot.c, ctx.key, window, out, kept);
    };

    /**
     * Adds a record to one window; false if the window is past its lateness. A new window registers
     * its timers: the firing at `maxTimestamp` (unless already passed), and the cleanup after the
     * lateness; a window the watermark has passed fires at once, keeping its contents.
     */
    const add = (held: KeyWindows, start: number, record: T, shared: boolean, watermark: number, out: Collector<O>): boolean => {
      const last = start + size - 1;
      if (last + lateness <= watermark) return false;
      const i = cached(start);
      const window = cachedWindows[i]!;
      const id = cachedIds[i]!;
      let slot = held.w[id];
      if (slot === undefined) {
        held.w[id] = slot = {};
        if (last > watermark) ctx.timers.registerEventTime(last);
        if (lateness > 0) ctx.timers.registerEventTime(last + lateness);
      }
      slot.c = contents.add(slot.c, record, shared);
      if (last <= watermark) emit(slot, window, out, true);
      return true;
    };

    const lateRecord = (record: T): void => {
      if (lateTag !== undefined) ctx.output(lateTag, record);
      ctx.countLateRecord();
    };

    return {
      open(context) {
        ctx = context;
        keyed = ctx.keyedState('windows', state.value<KeyWindows>());
      },

      process(record, out) {
        const timestamp = ctx.timestamp;
        if (timestamp !== timestamp) {
          throw errors.invalidWindowing('window()', 'event-time windows need records with timestamps: assign them (withTimestamps) before window(), or use time: "processing".');
        }
        const stored = keyed.value();
        const held = stored ?? { w: {} };
        const watermark = ctx.watermark;
        const t = Math.floor(timestamp);
        const latest = t - mod(t - offset, slide);
        let taken = 0;
        if (slide === size) {
          if (add(held, latest, record, false, watermark, out)) taken++;
          else return lateRecord(record);
        } else {
          // The windows holding t, earliest first (as assignWindows): from the earliest start above t − size to the latest.
          let assigned = 0;
          for (let start = latest - Math.floor((size - 1 - (t - latest)) / slide) * slide; start <= latest; start += slide) {
            if (start <= t - size) continue;
            assigned++;
            if (add(held, start, record, taken > 0, watermark, out)) taken++;
          }
          // A record in no window (a slide above the size leaves gaps) is not late, only not covered.
          if (taken === 0) return assigned > 0 ? lateRecord(record) : undefined;
        }
        if (stored === undefined) keyed.update(held);
      },

      onTimer(time, domain, out) {
        if (domain !== 'event') return;
        const held = keyed.value();
        if (held === undefined) return;
        // The window whose state goes now (its lateness is over), then the one that fires now; one
        // and the same without lateness. Either may be absent: the time is a timer of the key, not
        // of every window.
        if (lateness > 0) {
          const end = time - lateness + 1;
          const id = windowId({ start: end - size, end });
          if (held.w[id] !== undefined) delete held.w[id];
        }
        const end = time + 1;
        const window = { start: end - size, end };
        const id = windowId(window);
        const slot = held.w[id];
        if (slot !== undefined) {
          if (slot.c !== undefined) emit(slot, window, out, lateness > 0);
          if (lateness === 0) delete held.w[id];
        }
        for (const _ in held.w) return;
        keyed.clear();
      },
    };
  };
}
