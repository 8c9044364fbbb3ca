import { windowOperator, type WindowOperatorSpec } from '../../actors/window-operator.ts';
import { describeWindowing, windowingFunctions } from '../../actors/window-spec.ts';
import type { WindowFunction, WindowInfo } from '../../actors/window-functions.ts';
import { errors } from '../errors.ts';
import type { Collector, KeyedOperatorFactory } from '../operator/operator.ts';
import { OutputTag } from '../operator/output-tag.ts';
import type { Key } from '../state/key-groups.ts';
import type { JsonValue } from '../util/json.ts';
import type { Duration } from '../window/duration.ts';
import type { Trigger } from '../window/triggers.ts';
import type { Window } from '../window/windows.ts';
import type { DataStream } from './data-stream.ts';
import { shownAs } from '../graph/logical-graph.ts';

/**
 * An incremental aggregation of a window's records: one accumulator per key and window, never a
 * buffer of records. `result` sees the key and the window (`start`, `end`); `merge` combines two
 * accumulators, which session windows need when they merge.
 */
export interface WindowAggregation<T, A, R, K extends Key, W extends Window> {
  create(): A;
  add(accumulator: A, record: T): A;
  result(accumulator: A, key: K, window: W): R;
  merge?(a: A, b: A): A;
}

/** How a windowed stream adds its window operator: the keyed stream's own attach. */
export type AttachWindow = <O>(type: string, factory: KeyedOperatorFactory<unknown, O, Key>, functions: readonly Function[], describe: JsonValue) => DataStream<O>;

/** What a windowing has been given so far, before its function. */
interface Settings<T> {
  readonly assigner: WindowOperatorSpec<T, unknown, Key>['assigner'];
  readonly trigger?: Trigger<T>;
  readonly allowedLateness?: Duration;
  readonly lateTag?: OutputTag<T>;
}

/**
 * A keyed stream cut into windows (`keyBy(...).window(assigner)`): each key's records are grouped
 * into the assigner's windows, and a window function turns each window into results when its
 * trigger fires (for time windows: when the watermark, or the clock, passes its end). Results of
 * time windows carry the window's last millisecond as their timestamp, so windows can follow
 * windows.
 *
 * @example
 * ```ts
 * const late = new OutputTag<Trade>('late-trades');
 * const candles = trades
 *   .withTimestamps((t) => t.ts, { maxOutOfOrderMs: 500 })
 *   .keyBy((t) => t.symbol)
 *   .window(windows.tumbling({ seconds: 1 }))
 *   .allowedLateness({ seconds: 5 })
 *   .sideOutputLateData(late)
 *   .aggregate({
 *     create: () => ({ open: NaN, close: NaN, n: 0 }),
 *     add: (c, t) => ({ open: c.n === 0 ? t.price : c.open, close: t.price, n: c.n + 1 }),
 *     result: (c, symbol, w) => ({ symbol, start: w.start, ...c }),
 *   });
 * candles.sideOutput(late).to(sinks.collect('late'));
 * ```
 */
export class WindowedStream<T, K extends Key, W extends Window> {
  constructor(
    private readonly job: string,
    private readonly settings: Settings<T>,
    private readonly attach: AttachWindow,
    /** Tags must be known to the graph (one object per id). */
    private readonly useTag: (tag: OutputTag<unknown>) => void,
  ) {}

  /** When windows fire, instead of at their end: e.g. `triggers.count(100)`, or a `Trigger` of your own. */
  trigger(trigger: Trigger<T>): WindowedStream<T, K, W> {
    return this.with({ trigger });
  }

  /**
   * How long after the watermark passes an event-time window it still takes records: each late
   * record within this fires the window again with its updated result. Default 0.
   */
  allowedLateness(lateness: Duration): WindowedStream<T, K, W> {
    return this.with({ allowedLateness: lateness });
  }

  /**
   * Sends records too late for every window they belong to to the side output `tag` (read it with
   * `sideOutput(tag)` on the windowed result). Without it they are only counted (`lateRecords`).
   */
  sideOutputLateData(tag: OutputTag<T>): WindowedStream<T, K, W> {
    if (!(tag instanceof OutputTag)) throw errors.invalidWindowing('sideOutputLateData()', 'needs an OutputTag, e.g. new OutputTag<Trade>("late").');
    this.useTag(tag as OutputTag<unknown>);
    return this.with({ lateTag: tag });
  }

  /**
   * Combines each window's records into one, incrementally; with `window`, turns the result into
   * what is emitted, seeing the key and the window.
   *
   * @example
   * ```ts
   * keyed.window(windows.tumbling(10_000)).reduce((a, b) => (b.price > a.price ? b : a));
   * keyed.window(windows.tumbling(10_000)).reduce((a, b) => (b.price > a.price ? b : a), (top, { key, window }) => ({ key, end: window.end, price: top.price }));
   * ```
   */
  reduce(reduce: (accumulated: T, record: T) => T): DataStream<T>;
  reduce<O>(reduce: (accumulated: T, record: T) => T, window: (result: T, info: WindowInfo<K, W>) => O): DataStream<O>;
  reduce<O>(reduce: (accumulated: T, record: T) => T, window?: (result: T, info: WindowInfo<K, W>) => O): DataStream<O> {
    if (typeof reduce !== 'function') throw errors.invalidWindowing('window().reduce', 'needs a function (accumulated, record) => combined.');
    return this.apply<O>({ kind: 'reduce', reduce, ...(window ? { window } : {}) } as WindowFunction<T, O, K, W>);
  }

  /**
   * Aggregates each window's records incrementally (one accumulator per key and window); `result`
   * sees the key and the window. With `window`, its result is turned into what is emitted.
   *
   * @example
   * ```ts
   * keyed.window(windows.tumbling({ seconds: 10 })).aggregate({
   *   create: () => ({ n: 0, sum: 0 }),
   *   add: (a, bid) => ({ n: a.n + 1, sum: a.sum + bid.price }),
   *   result: (a, auction, w) => ({ auction, end: w.end, bids: a.n, total: a.sum }),
   * });
   * ```
   */
  aggregate<A, R>(aggregation: WindowAggregation<T, A, R, K, W>): DataStream<R>;
  aggregate<A, R, O>(aggregation: WindowAggregation<T, A, R, K, W>, window: (result: R, info: WindowInfo<K, W>) => O): DataStream<O>;
  aggregate<A, R, O>(aggregation: WindowAggregation<T, A, R, K, W>, window?: (result: R, info: WindowInfo<K, W>) => O): DataStream<O> {
    if (typeof aggregation !== 'object' || aggregation === null || ['create', 'add', 'result'].some((f) => typeof (aggregation as unknown as Record<string, unknown>)[f] !== 'function')) {
      throw errors.invalidWindowing('window().aggregate', 'needs { create, add, result } (and merge for session windows).');
    }
    const { create, add, result, merge } = aggregation;
    return this.apply<O>({ kind: 'aggregate', create, add, result, ...(merge ? { merge } : {}), ...(window ? { window } : {}) } as unknown as WindowFunction<T, O, K, W>);
  }

  /**
   * A function of all of a window's records, which the window keeps until it fires (use `reduce`
   * or `aggregate` where they do: they keep one value). Records are in arrival order; do not change
   * them, emit copies.
   *
   * @example
   * ```ts
   * keyed.window(windows.session({ minutes: 30 })).process((user, w, clicks, out: Collector<Visit>) => {
   *   out.collect({ user, start: w.start, end: w.end, pages: clicks.length });
   * });
   * ```
   */
  process<O>(process: (key: K, window: W, records: readonly T[], out: Collector<O>) => void): DataStream<O> {
    if (typeof process !== 'function') throw errors.invalidWindowing('window().process', 'needs a function (key, window, records, out) => void.');
    return this.apply<O>({ kind: 'process', process });
  }

  private with(change: Partial<Settings<T>>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this.job, { ...this.settings, ...change }, this.attach, this.useTag);
  }

  private apply<O>(fn: WindowFunction<T, O, K, W>): DataStream<O> {
    const spec: WindowOperatorSpec<T, O, K, W> = { ...this.settings, fn };
    const factory = windowOperator(spec);
    return this.attach<O>('window', factory as unknown as KeyedOperatorFactory<unknown, O, Key>, windowingFunctions(spec), describeWindowing(spec));
  }
}

/**
 * A whole stream cut into windows (`windowAll(assigner)`): one window operator, on one subtask,
 * sees every record. The functions are those of `WindowedStream` without the key.
 *
 * @example
 * ```ts
 * trades.windowAll(windows.tumbling({ minutes: 1 })).aggregate({
 *   create: () => 0,
 *   add: (n) => n + 1,
 *   result: (n, w) => ({ minute: w.start, trades: n }),
 * });
 * ```
 */
export class AllWindowedStream<T, W extends Window> {
  constructor(private readonly windowed: WindowedStream<T, 0, W>) {}

  trigger(trigger: Trigger<T>): AllWindowedStream<T, W> {
    return new AllWindowedStream(this.windowed.trigger(trigger));
  }

  allowedLateness(lateness: Duration): AllWindowedStream<T, W> {
    return new AllWindowedStream(this.windowed.allowedLateness(lateness));
  }

  sideOutputLateData(tag: OutputTag<T>): AllWindowedStream<T, W> {
    return new AllWindowedStream(this.windowed.sideOutputLateData(tag));
  }

  reduce(reduce: (accumulated: T, record: T) => T): DataStream<T>;
  reduce<O>(reduce: (accumulated: T, record: T) => T, window: (result: T, window: W) => O): DataStream<O>;
  reduce<O>(reduce: (accumulated: T, record: T) => T, window?: (result: T, window: W) => O): DataStream<O> {
    if (!window) return single(this.windowed.reduce(reduce) as unknown as DataStream<O>);
    return single(this.windowed.reduce(reduce, shownAs((result: T, info: WindowInfo<0, W>) => window(result, info.window), window)));
  }

  aggregate<A, R>(aggregation: { create(): A; add(accumulator: A, record: T): A; result(accumulator: A, window: W): R; merge?(a: A, b: A): A }): DataStream<R> {
    const { create, add, result, merge } = aggregation;
    if (typeof result !== 'function') throw errors.invalidWindowing('windowAll().aggregate', 'needs { create, add, result } (and merge for session windows).');
    return single(this.windowed.aggregate<A, R>({ create, add, result: shownAs((acc: A, _key: 0, window: W) => result(acc, window), result), ...(merge ? { merge } : {}) }));
  }

  process<O>(process: (window: W, records: readonly T[], out: Collector<O>) => void): DataStream<O> {
    if (typeof process !== 'function') throw errors.invalidWindowing('windowAll().process', 'needs a function (window, records, out) => void.');
    return single(this.windowed.process<O>(shownAs((_key: 0, window: W, records: readonly T[], out: Collector<O>) => process(window, records, out), process)));
  }
}

/** Every record of a `windowAll` goes to one key: one subtask holds it. */
const single = <O>(stream: DataStream<O>): DataStream<O> => stream.parallelism(1);
