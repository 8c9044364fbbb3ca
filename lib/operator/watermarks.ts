/**
 * Decides a stream's watermarks from the timestamps it sees (Flink's WatermarkGenerator): told of
 * every record, asked on an interval what the watermark is now. A punctuated stream, whose records
 * themselves say when time has moved on (an end-of-batch marker, say), may also return a watermark
 * from `onEvent`: it is sent right after that record. Return one only on such records: a watermark
 * per record costs what a record does, all the way down the pipeline.
 *
 * @example
 * ```ts
 * // At most one second out of order, except that trades marked `final` close their minute at once.
 * const generator = (): WatermarkGenerator<Trade> => {
 *   let max = -Infinity;
 *   let closed = -Infinity;
 *   return {
 *     onEvent(trade, ts) { max = Math.max(max, ts); if (trade.final) closed = ts; },
 *     onPeriodic() { return Math.max(max - 1000 - 1, closed); },
 *   };
 * };
 * ```
 */
export interface WatermarkGenerator<T> {
  /** Told of every record; may return a watermark to send right after it (punctuated), else nothing. */
  onEvent(record: T, timestamp: number): number | undefined | void;
  /** The watermark now, or undefined for none yet. It never needs to go back: weir keeps the highest. */
  onPeriodic(): number | undefined;
}

/** Bounded out-of-orderness: the highest timestamp seen, less the allowed lateness, less 1 (Flink's rule). */
export const boundedOutOfOrder = (maxOutOfOrderMs: number): WatermarkGenerator<unknown> => {
  // A field, not a closure's `let`: a double stored in a closure's variable is a new heap number
  // at every write (nearly every record, as times rise), one in an object's field is updated in place.
  const seen = { max: -Infinity };
  return {
    onEvent(_record, timestamp) {
      if (timestamp > seen.max) seen.max = timestamp;
    },
    onPeriodic: () => (seen.max === -Infinity ? undefined : seen.max - maxOutOfOrderMs - 1),
  };
};
