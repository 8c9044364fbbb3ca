/** Marks tags across copies of weir (see `OutputTag[Symbol.hasInstance]`). */
const BRAND = Symbol.for('weir.OutputTag');

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
  /**
   * `instanceof OutputTag` holds for tags of any copy of weir loaded in the process: a TypeScript
   * job module run through tsx imports weir anew, so its tags come from a second copy of this class.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  declare readonly [BRAND]: true;
  /** Type-only: the records this side output carries. */
  declare readonly __record?: T;

  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('An OutputTag needs a non-empty id, e.g. new OutputTag<Trade>("late")');
    Object.defineProperty(this, BRAND, { value: true });
  }
}
