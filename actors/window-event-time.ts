import type { Collector, KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';
import { latestStartOf, type SlidingWindows, type TumblingWindows } from '../lib/window/assigners.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import type { UnboxedWindowContents } from './window-functions.ts';

/**
 * What this path keeps per key, plain data: its windows, each as its slot and what it holds (see
 * `UnboxedWindowContents`: never empty, so not boxed), one after the other in one array (`[slot, contents, slot, contents, …]`),
 * in the order they opened, so the latest, where most records go, is found first from the end. A
 * window's slot is its start in slides from the offset (`(start - offset) / slide`): a small
 * integer where the start (ms since 1970) is not, so V8 stores it in the array as is, not as a heap
 * number of its own, one object fewer per key and window for the garbage collector to copy while
 * the window is open. A window's start, end, timers and cleanup follow from its slot.
 */
export type KeyStarts = unknown[];

/**
 * The window operator's path for tumbling or sliding windows of event time with the default trigger
 * and an allowed lateness (fire when the watermark reaches `maxTimestamp`, again for each record
 * within the allowed lateness; state goes at `maxTimestamp + lateness`); without lateness, the
 * window-by-window path (`eventTimePanes`) keeps the same state with no timers. It computes what
 * the general path (`windowOperator`) does, with the same results, timestamps and late records,
 * and keeps per key only what it cannot compute (`KeyStarts`): the trigger's timers and the
 * cleanup time of a window follow from its bounds, and the window a timer is for follows from the
 * timer's time (among windows of one size, one ends at `time + 1`). So a record costs a lookup of
 * its key and of its window, and a timer is registered once per key and window, not per record
 * (the general path keeps each window's timers in its state, and finds the windows a timer is
 * for by looking at all of the key's).
 *
 * @example
 * ```ts
 * // windowOperator takes this path by itself for keyBy(...).window(windows.tumbling(...)).allowedLateness(...) without .trigger():
 * keyed.transform('per-10s', eventTimeWindows(windows.tumbling({ seconds: 10 }), unboxedWindowContents(fn), 5_000, undefined));
 * ```
 */
export function eventTimeWindows<T, O, K extends Key>(
  assigner: TumblingWindows | SlidingWindows,
  contents: UnboxedWindowContents<T, O, K>,
  lateness: number,
  lateTag: OutputTag<T> | undefined,
): KeyedOperatorFactory<T, O, K> {
  const { size, offset } = assigner;
  const slide = assigner.kind === 'sliding' ? assigner.slide : size;
  /** Windows remembered, by start: records come nearly in order, so most windows are found here. */
  const CACHED = 16;
  const tumbling = slide === size;

  return () => {
    let ctx: KeyedOperatorContext<K>;
    let keyed: ValueState<KeyStarts | undefined>;
    const starts = new Float64Array(CACHED).fill(NaN);
    const cachedWindows: TimeWindow[] = [];

    /** The window starting at `start`, one object while it is remembered (shared, never changed). */
    const windowAt = (start: number): TimeWindow => {
      const i = ((start - offset) / slide) & (CACHED - 1);
      if (starts[i] === start) return cachedWindows[i]!;
      starts[i] = start;
      return (cachedWindows[i] = { start, end: start + size });
    };

    /**
     * The slot of the window starting at `start` (see `KeyStarts`); a time off the grid of starts
     * (a timer's time less the lateness, say) gives a fraction, which matches no window.
     */
    const slotOf = (start: number): number => (start - offset) / slide;

    /** Where the window of `slot` is in a key's windows (the index of its slot); -1: not there. */
    const find = (held: KeyStarts, slot: number): number => {
      for (let i = held.length - 2; i >= 0; i -= 2) if (held[i] === slot) return i;
      return -1;
    };

    /**
     * The same, searching from the earliest: what a timer looks for. Watermarks come periodically
     * (every 200 ms by default), and a fast stream opens many windows per key in between, which
     * then fire earliest first: from the end, each would be a walk over all the others.
     */
    const findEarliest = (held: KeyStarts, slot: number): number => {
      for (let i = 0; i < held.length; i += 2) if (held[i] === slot) return i;
      return -1;
    };

    const emit = (contents_: unknown, start: number, out: Collector<O>, kept: boolean): void => {
      ctx.setTimestamp(start + size - 1);
      contents.emit(contents_, ctx.key, windowAt(start), out, kept);
    };

    /**
     * Adds a record to one window; false if the window is past its lateness. A new window registers
     * its timers: the firing at `maxTimestamp` (unless already passed), and the cleanup after the
     * lateness; a window the watermark has passed fires at once, keeping its contents.
     */
    const add = (held: KeyStarts, start: number, record: T, shared: boolean, watermark: number, out: Collector<O>): boolean => {
      const last = start + size - 1;
      if (last + lateness <= watermark) return false;
      const i = find(held, slotOf(start));
      let c: unknown;
      if (i < 0) {
        held.push(slotOf(start), (c = contents.first(record, shared)));
        if (last > watermark) ctx.timers.registerEventTime(last);
        if (lateness > 0) ctx.timers.registerEventTime(last + lateness);
      } else c = held[i + 1] = contents.add(held[i + 1], record, shared);
      if (last <= watermark) emit(c, start, out, true);
      return true;
    };

    /** Removes the window at `i` (no splice: it would allocate the array of what it removed). */
    const remove = (held: KeyStarts, i: number): void => {
      const n = held.length - 2;
      for (; i < n; i++) held[i] = held[i + 2];
      held.length = n;
    };

    const lateRecord = (record: T): void => {
      if (lateTag !== undefined) ctx.output(lateTag, record);
      ctx.countLateRecord();
    };

    /** Every record the hot path in `process` does not take: the whole computation (`stored`: the key's windows, as read). */
    const assign = (record: T, out: Collector<O>, stored: KeyStarts | undefined): void => {
      const timestamp = ctx.timestamp;
      const latest = latestStartOf(timestamp, offset, slide);
      const t = Math.floor(timestamp);
      const held = stored ?? [];
      const watermark = ctx.watermark;
      let taken = 0;
      if (slide === size) {
        // `add` written out: times are doubles beyond small integers, and each one passed to a
        // call that is not inlined is boxed, a heap allocation per record.
        const last = latest + size - 1;
        if (last + lateness <= watermark) return lateRecord(record);
        if (stored === undefined) {
          // A key's first window: its array made at its size (a push onto [] would allocate room for 17).
          if (last > watermark) ctx.timers.registerEventTime(last);
          if (lateness > 0) ctx.timers.registerEventTime(last + lateness);
          const c = contents.first(record, false);
          keyed.update([slotOf(latest), c]);
          if (last <= watermark) emit(c, latest, out, true);
          return;
        }
        const slot = slotOf(latest);
        let i = held.length - 2;
        while (i >= 0 && held[i] !== slot) i -= 2;
        let c: unknown;
        if (i < 0) {
          held.push(slot, (c = contents.first(record, false)));
          if (last > watermark) ctx.timers.registerEventTime(last);
          if (lateness > 0) ctx.timers.registerEventTime(last + lateness);
        } else c = held[i + 1] = contents.add(held[i + 1], record, false);
        if (last <= watermark) emit(c, latest, out, true);
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
    };

    return {
      open(context) {
        ctx = context;
        keyed = ctx.keyedState('windows', state.value<KeyStarts>());
        // Windows restored from the window-by-window path (a job that added lateness since) came
        // without timers: set them, or those windows would never fire. Timers of a key and time are
        // kept once, so restored ones are not doubled; a fresh start has no keys to visit.
        for (const _ of ctx.keys()) {
          const held = keyed.value();
          if (held === undefined) continue;
          for (let i = 0; i < held.length; i += 2) {
            const last = (held[i] as number) * slide + offset + size - 1;
            if (last > ctx.watermark) ctx.timers.registerEventTime(last);
            if (lateness > 0) ctx.timers.registerEventTime(last + lateness);
          }
        }
      },

      // Kept small, so that V8 inlines it into the chain's loop (a large function is never inlined,
      // and the record's time, a double beyond small integers, is then boxed at each call): the
      // common case only, a record for the key's latest tumbling window, neither new, late nor due;
      // anything else goes the whole way (`assign`).
      process(record, out) {
        const held = keyed.value();
        if (tumbling && held !== undefined) {
          const n = held.length - 2;
          const start = (held[n] as number) * slide + offset;
          const timestamp = ctx.timestamp;
          // False for NaN (no timestamp): assign reports it.
          if (timestamp >= start && timestamp < start + size && start + size - 1 > ctx.watermark) {
            held[n + 1] = contents.add(held[n + 1], record, false);
            return;
          }
        }
        assign(record, out, held);
      },

      onTimer(time, domain, out) {
        if (domain !== 'event') return;
        const held = keyed.value();
        if (held === undefined) return;
        // The window whose state goes now (its lateness is over), then the one that fires now; one
        // and the same without lateness. Either may be absent: the time is a timer of the key, not
        // of every window.
        if (lateness > 0) {
          const i = findEarliest(held, slotOf(time - lateness + 1 - size));
          if (i >= 0) remove(held, i);
        }
        const start = time + 1 - size;
        if (lateness === 0 && held.length === 2 && held[0] === slotOf(start)) {
          // The key's only window, the usual case: it fires and the key's state goes.
          emit(held[1], start, out, false);
          keyed.clear();
          return;
        }
        const i = findEarliest(held, slotOf(start));
        if (i >= 0) {
          emit(held[i + 1], start, out, lateness > 0);
          if (lateness === 0) remove(held, i);
        }
        if (held.length > 0) return;
        keyed.clear();
      },
    };
  };
}
