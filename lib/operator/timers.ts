/** Event time (driven by watermarks) or processing time (the runtime's clock). */
export type TimeDomain = 'event' | 'processing';

/**
 * Timers of a keyed operator, per key (Flink's TimerService). A timer is registered for the current
 * key at a time; registering the same key and time twice gives one timer. It fires once: event-time
 * timers when the operator's watermark passes their time, processing-time timers when the clock
 * does; `onTimer` is called with that key current, in timestamp order.
 *
 * @example
 * ```ts
 * process(trade, ctx, out) {
 *   ctx.timers.registerEventTime(ctx.timestamp + 60_000); // a minute of event time later
 * },
 * onTimer(time, ctx, out) { out.collect({ symbol: ctx.key, quietSince: time }); },
 * ```
 */
export interface TimerService {
  /** The clock's time now. */
  currentProcessingTime(): number;
  /** The operator's current watermark (−Infinity before the first). */
  currentWatermark(): number;
  registerEventTime(time: number): void;
  deleteEventTime(time: number): void;
  registerProcessingTime(time: number): void;
  deleteProcessingTime(time: number): void;
}
