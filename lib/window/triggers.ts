import { errors } from '../errors.ts';
import type { JsonValue } from '../util/json.ts';
import { maxTimestamp, type Window } from './windows.ts';

/**
 * What a trigger decides for a window: `'fire'` emits its result and keeps its contents (a later
 * firing includes them again), `'purge'` drops its contents, `'fire-and-purge'` does both in that
 * order, `'continue'` neither.
 */
export type TriggerResult = 'continue' | 'fire' | 'purge' | 'fire-and-purge';

/**
 * What a trigger sees of the window it decides for. Timers are the window's own: they call back
 * `onEventTime` / `onProcessingTime` with this window, and weir deletes them with the window
 * (when it is cleaned up, or merged into another). `state` is this window's trigger state, plain
 * data (it is snapshotted with the window), undefined until set.
 */
export interface TriggerContext<S = unknown> {
  /** The operator's watermark: no record with a timestamp at or below it is expected on time. */
  readonly watermark: number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /**
   * A timer that fires once the clock reaches `time`. A processing-time window takes records while
   * the clock is anywhere in its last millisecond, so fire at `window.end`, not `maxTimestamp`.
   */
  registerProcessingTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  /** This window's trigger state; set it to undefined to forget it. */
  state: S | undefined;
}

/**
 * Decides when a window fires, and when its contents go. Only `onElement` is required. A trigger
 * is shared by every window of the operator: keep per-window data in `ctx.state`, never in the
 * trigger object.
 *
 * @example
 * ```ts
 * // Fires early for every 1,000th record of a window, and finally when the watermark passes it.
 * const earlyEvery1000: Trigger<Trade, number> = {
 *   describe: { kind: 'early-every', n: 1000 },
 *   onElement(trade, timestamp, window, ctx) {
 *     ctx.registerEventTimeTimer(maxTimestamp(window));
 *     ctx.state = (ctx.state ?? 0) + 1;
 *     return ctx.state % 1000 === 0 ? 'fire' : 'continue';
 *   },
 *   onEventTime: (time, window) => (time === maxTimestamp(window) ? 'fire' : 'continue'),
 *   onMerge(window, merged, ctx) {
 *     ctx.state = merged.reduce<number>((sum, n) => sum + (n ?? 0), 0);
 *     ctx.registerEventTimeTimer(maxTimestamp(window));
 *   },
 * };
 * keyed.window(windows.session({ minutes: 5 })).trigger(earlyEvery1000).aggregate(stats);
 * ```
 */
export interface Trigger<T = unknown, S = unknown> {
  /** Configuration for the graph fingerprint (JSON); the hooks' source text is compared too. */
  readonly describe: JsonValue;
  /** A record was added to `window`; `timestamp` is its event time (NaN on a stream without). */
  onElement(record: T, timestamp: number, window: Window, ctx: TriggerContext<S>): TriggerResult;
  /** An event-time timer this trigger registered for `window` came due. */
  onEventTime?(time: number, window: Window, ctx: TriggerContext<S>): TriggerResult;
  /** A processing-time timer this trigger registered for `window` came due. */
  onProcessingTime?(time: number, window: Window, ctx: TriggerContext<S>): TriggerResult;
  /**
   * Windows merged into `window` (sessions): `merged` holds their trigger states; set `ctx.state`
   * and register the timers `window` needs (the merged windows' timers are gone). Required for
   * merging windows.
   */
  onMerge?(window: Window, merged: readonly (S | undefined)[], ctx: TriggerContext<S>): void;
  /**
   * The input ended (after the final watermark) and `window` still has contents: `'fire'` emits
   * them. Without this hook they are not emitted.
   */
  onEnd?(window: Window, ctx: TriggerContext<S>): TriggerResult;
}

/**
 * Event time, the default of event-time windows: fires when the watermark reaches the window's
 * `maxTimestamp`. A record that arrives later, within the allowed lateness, fires the window again
 * at once with its updated contents.
 *
 * @example
 * ```ts
 * keyed.window(windows.global()).trigger(triggers.eventTime()); // fires once, at the end of the input
 * ```
 */
function eventTime(): Trigger {
  return {
    describe: { kind: 'event-time' },
    onElement(_record, _timestamp, window, ctx) {
      if (maxTimestamp(window) <= ctx.watermark) return 'fire';
      ctx.registerEventTimeTimer(maxTimestamp(window));
      return 'continue';
    },
    onEventTime: (time, window) => (time === maxTimestamp(window) ? 'fire' : 'continue'),
    onMerge(window, _merged, ctx) {
      if (maxTimestamp(window) > ctx.watermark) ctx.registerEventTimeTimer(maxTimestamp(window));
    },
  };
}

/**
 * Processing time, the default of processing-time windows: fires when the clock reaches the
 * window's `end`, once no record can join it (records arriving while the clock is within the
 * window's last millisecond, `maxTimestamp`, still belong to it; Flink fires its processing-time
 * timers 1 ms late for the same reason). Windows still open when the input ends fire then, with
 * what they hold.
 *
 * @example
 * ```ts
 * keyed.window(windows.tumbling({ size: { seconds: 10 }, time: 'processing' })); // triggers.processingTime() implied
 * ```
 */
function processingTime(): Trigger {
  return {
    describe: { kind: 'processing-time' },
    onElement(_record, _timestamp, window, ctx) {
      ctx.registerProcessingTimeTimer(window.end);
      return 'continue';
    },
    onProcessingTime: (time, window) => (time === window.end ? 'fire' : 'continue'),
    onMerge(window, _merged, ctx) {
      ctx.registerProcessingTimeTimer(window.end);
    },
    onEnd: () => 'fire',
  };
}

/**
 * Fires with every `n`-th record of a window and purges it (Flink's `PurgingTrigger.of(CountTrigger.of(n))`),
 * so each firing holds `n` records. On the global window this is a count window; on time windows
 * it fires only while a window collects records, never when time passes (records left over are
 * not emitted). Counts of merged windows add up.
 *
 * @example
 * ```ts
 * keyed.window(windows.global()).trigger(triggers.count(100)).process(batchInsert);
 * ```
 */
function count(n: number): Trigger<unknown, number> {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw errors.invalidWindowOption('triggers.count', 'n', 'a whole number ≥ 1', n);
  return {
    describe: { kind: 'count', n },
    onElement(_record, _timestamp, _window, ctx) {
      const seen = (ctx.state ?? 0) + 1;
      ctx.state = seen >= n ? undefined : seen;
      return seen >= n ? 'fire-and-purge' : 'continue';
    },
    onMerge(_window, merged, ctx) {
      // Fires at the next record if the merged windows together reached n (as Flink's CountTrigger).
      ctx.state = merged.reduce<number>((sum, seen) => sum + (seen ?? 0), 0) || undefined;
    },
  };
}

/** The built-in triggers; write a `Trigger` for anything else. */
export const triggers = { eventTime, processingTime, count } as const;
