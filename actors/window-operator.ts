import { errors } from '../lib/errors.ts';
import type { Collector, KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { TimeDomain } from '../lib/operator/timers.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';
import { assignWindows } from '../lib/window/assigners.ts';
import { mergeWindow, mergedIntoItself, type Merge } from '../lib/window/merging.ts';
import type { TriggerResult } from '../lib/window/triggers.ts';
import { byEnd, maxTimestamp, windowId, windowOfId, type TimeWindow, type Window } from '../lib/window/windows.ts';
import { eventTimeWindows } from './window-event-time.ts';
import { eventTimePanes } from './window-event-time-panes.ts';
import { unboxedWindowContents, windowContents } from './window-functions.ts';
import { noWindows, SlotTriggerContext, WindowSlots, type KeyWindows, type WindowSlot } from './window-slots.ts';
import { settleWindowing, type WindowOperatorSpec } from './window-spec.ts';

export type { WindowOperatorSpec } from './window-spec.ts';

/**
 * The window operator: per key, the windows `spec.assigner` puts each record in, each fired as its
 * trigger says with the result of `spec.fn`. Everything it keeps is one value state per key,
 * plain data (`KeyWindows`): incremental functions keep one accumulator per window, `process`
 * keeps the records. Results of time windows carry the window's `maxTimestamp` as timestamp; those
 * of count and global windows the time they fired at (the record's, or the timer's).
 *
 * Event time: a window fires when the watermark reaches its `maxTimestamp`, and its state goes at
 * `maxTimestamp + allowedLateness`. A record is late when every window it belongs to is past that
 * point (`maxTimestamp + allowedLateness <= watermark`): it goes to `lateTag` if given, and is
 * counted (`lateRecords`) either way. The final watermark (+Infinity) fires every window left.
 * Tumbling and sliding event-time windows with the default trigger take a path of their own
 * (`eventTimePanes` without allowed lateness, `eventTimeWindows` with it), with the same results
 * and state.
 * Processing time: windows by the clock at arrival, fired when the clock reaches their `end`
 * (the results still carry `maxTimestamp`), and the ones left when the input ends fire then.
 *
 * @example
 * ```ts
 * keyed.transform('per-minute', windowOperator<Trade, number, string>({
 *   assigner: windows.tumbling({ minutes: 1 }),
 *   fn: { kind: 'reduce', reduce: (a, b) => ({ ...a, qty: a.qty + b.qty }), window: (t) => t.qty },
 * }));
 * ```
 */
export function windowOperator<T, O, K extends Key, W extends Window = Window>(spec: WindowOperatorSpec<T, O, K, W>): KeyedOperatorFactory<T, O, K> {
  const { trigger, lateness } = settleWindowing(spec);
  const { assigner, lateTag } = spec;
  const contents = windowContents(spec.fn);
  const timeWindows = assigner.kind !== 'global' && assigner.kind !== 'count';
  const eventTime = timeWindows && assigner.time === 'event';
  /**
   * When a window's state goes: event time waits out the lateness after `maxTimestamp`; processing
   * time goes at `end`, when the clock has left the window (see `triggers.processingTime`);
   * Infinity: never (count and global windows go when their trigger purges them).
   */
  const cleanupTime = (window: Window): number => (!timeWindows ? Infinity : eventTime ? maxTimestamp(window) + lateness : window.end);
  // The common case has paths of their own: without lateness, window by window (no timers at all);
  // with it, key by key, computing the timers a window needs instead of keeping them.
  if (eventTime && spec.trigger === undefined && (assigner.kind === 'tumbling' || assigner.kind === 'sliding')) {
    if (lateness === 0) return eventTimePanes<T, O, K>(assigner, unboxedWindowContents(spec.fn), lateTag);
    return eventTimeWindows<T, O, K>(assigner, unboxedWindowContents(spec.fn), lateness, lateTag);
  }

  return () => {
    let ctx: KeyedOperatorContext<K>;
    let keyed: ValueState<KeyWindows | undefined>;
    let slots: WindowSlots;
    let triggerContext: SlotTriggerContext;

    /** Emits what a window holds, stamped with its time. */
    const emit = (slot: WindowSlot, window: Window, out: Collector<O>, kept: boolean, firedAt: number): void => {
      ctx.setTimestamp(timeWindows ? maxTimestamp(window) : firedAt);
      contents.emit(slot.c, ctx.key, window, out, kept);
    };

    /** Carries out a trigger's decision. `ending`: the window goes right after (its contents need no copy). */
    const act = (result: TriggerResult, slot: WindowSlot, window: Window, out: Collector<O>, ending: boolean, firedAt: number): void => {
      const purge = result === 'purge' || result === 'fire-and-purge';
      if ((result === 'fire' || result === 'fire-and-purge') && slot.c !== undefined) emit(slot, window, out, !purge && !ending, firedAt);
      if (purge) delete slot.c;
    };

    /** Adds a record to one window: contents, trigger, cleanup. */
    const add = (window: Window, record: T, timestamp: number, shared: boolean, out: Collector<O>): void => {
      const id = windowId(window);
      const slot = slots.slot(id);
      slot.c = contents.add(slot.c, record, shared);
      act(trigger!.onElement(record, timestamp, window, triggerContext.at(slot)), slot, window, out, false, timestamp);
      if (WindowSlots.idle(slot)) slots.drop(id);
      else slots.cleanupAt(slot, cleanupTime(window));
    };

    const isLate = (window: Window): boolean => eventTime && cleanupTime(window) <= ctx.watermark;

    const lateRecord = (record: T): void => {
      if (lateTag !== undefined) ctx.output(lateTag, record);
      ctx.countLateRecord();
    };

    /** Replaces the merged sessions by the merged window: contents combined, trigger state and timers moved by the trigger. */
    const moveMerged = ({ window, merged }: Merge): void => {
      let held: unknown;
      const states: unknown[] = [];
      for (const session of merged) {
        const slot = slots.held.w[windowId(session)]!;
        if (slot.c !== undefined) held = held === undefined ? slot.c : contents.merge(held, slot.c);
        states.push(slot.t);
        slots.drop(windowId(session));
      }
      const slot = slots.slot(windowId(window));
      if (held !== undefined) slot.c = held;
      trigger!.onMerge!(window, states, triggerContext.at(slot));
    };

    const sessionRecord = (record: T, timestamp: number, own: TimeWindow, out: Collector<O>): void => {
      const merge = mergeWindow(Object.keys(slots.held.w).map(windowOfId), own);
      // A merge only grows windows that are still open, so only a window that merged nothing can be late.
      if (merge.merged.length === 0 && isLate(own)) return lateRecord(record);
      if (merge.merged.length > 0 && !mergedIntoItself(merge)) moveMerged(merge);
      add(merge.window, record, timestamp, false, out);
    };

    /** Count windows: by the key's record number; each fires (and goes) with its last record. */
    const countRecord = (record: T, timestamp: number, out: Collector<O>): void => {
      const { size, slide } = assigner as { size: number; slide: number };
      const held = slots.held;
      const number = held.n ?? 0;
      held.n = number + 1;
      if (spec.fn.kind === 'process') {
        // One buffer of the last records rather than a list per window: windows overlap by size − slide.
        const buffer = (held.b ??= []);
        buffer.push(record);
        if ((number + 1) % slide === 0) {
          emit({ c: buffer.slice(Math.max(0, buffer.length - size)) }, { start: Math.max(0, number + 1 - size), end: number + 1 }, out, false, timestamp);
          if (slide >= size) buffer.length = 0;
        }
        if (buffer.length >= 2 * size) buffer.splice(0, buffer.length - size);
        return;
      }
      let shared = false;
      for (const window of assignWindows(assigner, record, number)) {
        const id = windowId(window);
        const slot = slots.slot(id);
        slot.c = contents.add(slot.c, record, shared);
        shared = true;
        if (window.end - 1 === number) {
          emit(slot, window, out, false, timestamp);
          slots.drop(id);
        }
      }
    };

    const save = (): void => {
      if (slots.isEmpty) keyed.clear();
      else keyed.update(slots.held);
    };

    return {
      open(context) {
        ctx = context;
        keyed = ctx.keyedState('windows', state.value<KeyWindows>());
        slots = new WindowSlots(ctx as KeyedOperatorContext<Key>, assigner.time);
        triggerContext = new SlotTriggerContext(slots, ctx as KeyedOperatorContext<Key>);
      },

      process(record, out) {
        // Read before anything is emitted: emitting sets the timestamp of what leaves.
        const timestamp = ctx.timestamp;
        slots.enter(keyed.value() ?? noWindows());
        if (assigner.kind === 'count') countRecord(record, timestamp, out);
        else {
          if (eventTime && Number.isNaN(timestamp)) {
            throw errors.invalidWindowing('window()', 'event-time windows need records with timestamps: assign them (withTimestamps) before window(), or use time: "processing".');
          }
          const at = assigner.time === 'event' ? timestamp : ctx.currentProcessingTime();
          const windows = assignWindows(assigner, record, at);
          if (assigner.merging) sessionRecord(record, timestamp, windows[0] as TimeWindow, out);
          else {
            let taken = 0;
            for (const window of windows) if (!isLate(window)) add(window, record, timestamp, taken++ > 0, out);
            if (taken === 0 && windows.length > 0) lateRecord(record);
          }
        }
        save();
      },

      onTimer(time, domain: TimeDomain, out) {
        const held = keyed.value();
        if (held === undefined || trigger === undefined) return;
        slots.enter(held);
        for (const id of slots.due(domain, time)) {
          const slot = held.w[id]!;
          const window = windowOfId(id);
          const cleanup = domain === assigner.time && slot.x === time;
          if (slots.takeTimer(slot, domain, time)) {
            const hook = domain === 'event' ? trigger.onEventTime : trigger.onProcessingTime;
            const result = hook?.call(trigger, time, window, triggerContext.at(slot)) ?? 'continue';
            act(result, slot, window, out, cleanup, time);
          }
          if (cleanup || WindowSlots.idle(slot)) slots.drop(id);
        }
        save();
      },

      close(out) {
        // Event-time windows all fired at the final watermark; what is left is processing time or
        // trigger-driven, and fires now only if its trigger says so.
        if (trigger?.onEnd === undefined) return;
        const firedAt = ctx.timestamp;
        for (const _key of ctx.keys()) {
          const held = keyed.value();
          if (held === undefined) continue;
          slots.enter(held);
          for (const id of Object.keys(held.w).sort((a, b) => byEnd(windowOfId(a), windowOfId(b)))) {
            const slot = held.w[id]!;
            if (slot.c === undefined) continue;
            const window = windowOfId(id);
            act(trigger.onEnd(window, triggerContext.at(slot)), slot, window, out, true, firedAt);
          }
        }
      },
    };
  };
}
