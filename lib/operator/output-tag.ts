/**
 * Names a side output of an operator and carries the type of its records: `ctx.output(tag, record)`
 * emits to it, `stream.sideOutput(tag)` reads it (a `DataStream<T>`). Create a tag once and share
 * it: a job that declares two different tags with the same id is refused, since each carries its
 * own record type.
 *
 * @example
 * ```ts
 * const late = new OutputTag<Trade>('late-trades');
 * const candles = trades.keyBy((t) => t.symbol).window(windows.tumbling({ seconds: 1 }))
 *   .sideOutputLateData(late)
 *   .aggregate(ohlc);
 * candles.sideOutput(late).to(sinks.collect('late'));
 * ```
 */
export class OutputTag<T> {
  /** Type-only: the records this side output carries. */
  declare readonly __record?: T;

  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('An OutputTag needs a non-empty id, e.g. new OutputTag<Trade>("late")');
  }
}
