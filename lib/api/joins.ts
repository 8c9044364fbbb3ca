import { intervalJoinOperator, type IntervalJoinFunction } from '../../actors/interval-join.ts';
import type { TimeWindowAssigner } from '../../actors/two-sided-window.ts';
import { coGroupOperator, windowJoinOperator, type CoGroupFunction, type JoinFunction } from '../../actors/window-join.ts';
import { errors } from '../errors.ts';
import type { Key } from '../state/key-groups.ts';
import { toMillis, type Duration } from '../window/duration.ts';
import { attachTwoInput } from './connected-streams.ts';
import type { DataStream, KeyedStream, Stream } from './data-stream.ts';
import { assignerFunctions, checkFunction, type Positioned, checkTimestamps, checkTimeWindows, describeAssigner } from './two-input-windows.ts';

/** Which two-input windowing a builder makes: the name its errors and the graph give it. */
type Kind = 'join' | 'coGroup';

/** What a window join or coGroup has been given: the two streams and their key functions. */
interface Sides<A, B, K extends Key> {
  readonly kind: Kind;
  readonly first: Stream<A>;
  readonly second: Stream<B>;
  readonly firstKey: (record: A) => K;
  readonly secondKey: (record: B) => K;
}

/**
 * Two streams to be joined by key within windows (`a.join(b)`): then `where` (the first's key),
 * `equalTo` (the second's, of the same key type), `window` and `apply`.
 *
 * @example
 * ```ts
 * clicks.join(impressions)
 *   .where((c) => c.ad)
 *   .equalTo((i) => i.ad)
 *   .window(windows.tumbling({ minutes: 1 }))
 *   .apply((click, impression) => ({ ad: click.ad, delay: click.ts - impression.ts }));
 * ```
 */
export class JoinedStreams<A, B> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
  ) {}

  /**
   * The key of the first stream's records; `equalTo` then gives the second's, of the same type.
   *
   * @example
   * ```ts
   * clicks.join(views).where((c) => c.ad);
   * ```
   */
  where<K extends Key>(key: (record: A) => K): JoinWhere<A, B, K> {
    checkFunction('join().where()', key, '(record) => key');
    return new JoinWhere<A, B, K>(this.first, this.second, key);
  }
}

/**
 * Two streams to be grouped together by key within windows (`a.coGroup(b)`): like `join`, but the
 * function gets each key's two groups of a window at once, even when one of them is empty (so it
 * can make outer joins, or anti-joins).
 *
 * @example
 * ```ts
 * orders.coGroup(payments)
 *   .where((o) => o.customer)
 *   .equalTo((p) => p.payer)
 *   .window(windows.tumbling({ hours: 1 }))
 *   .apply((customer, os, ps, out: Collector<{ customer: string; unpaid: number }>) => {
 *     if (ps.length === 0) out.collect({ customer, unpaid: os.length });
 *   });
 * ```
 */
export class CoGroupedStreams<A, B> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
  ) {}

  /**
   * The key of the first stream's records; `equalTo` then gives the second's, of the same type.
   *
   * @example
   * ```ts
   * orders.coGroup(payments).where((o) => o.customer);
   * ```
   */
  where<K extends Key>(key: (record: A) => K): CoGroupWhere<A, B, K> {
    checkFunction('coGroup().where()', key, '(record) => key');
    return new CoGroupWhere<A, B, K>(this.first, this.second, key);
  }
}

/** A join after `where`: `equalTo` gives the second stream's key, of the type `where` gave. */
export class JoinWhere<A, B, K extends Key> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
    private readonly firstKey: (record: A) => K,
  ) {}

  /**
   * The key of the second stream's records: records of both streams with equal keys meet.
   *
   * @example
   * ```ts
   * clicks.join(views).where((c) => c.ad).equalTo((v) => v.adId); // both keys strings
   * ```
   */
  equalTo(key: (record: B) => K): JoinKeyed<A, B, K> {
    checkFunction('join().equalTo()', key, '(record) => key');
    return new JoinKeyed<A, B, K>({ kind: 'join', first: this.first, second: this.second, firstKey: this.firstKey, secondKey: key });
  }
}

/** A coGroup after `where`. */
export class CoGroupWhere<A, B, K extends Key> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
    private readonly firstKey: (record: A) => K,
  ) {}

  /**
   * The key of the second stream's records: records of both streams with equal keys meet.
   *
   * @example
   * ```ts
   * orders.coGroup(payments).where((o) => o.customer).equalTo((p) => p.payer);
   * ```
   */
  equalTo(key: (record: B) => K): CoGroupKeyed<A, B, K> {
    checkFunction('coGroup().equalTo()', key, '(record) => key');
    return new CoGroupKeyed<A, B, K>({ kind: 'coGroup', first: this.first, second: this.second, firstKey: this.firstKey, secondKey: key });
  }
}

/** A join with both keys: `window` says which windows records meet in. */
export class JoinKeyed<A, B, K extends Key> {
  constructor(private readonly sides: Sides<A, B, K>) {}

  /**
   * The windows both streams' records are cut into: tumbling, sliding or session windows, of event
   * time (both streams need `withTimestamps`) or processing time. A window fires when the watermark
   * (or the clock) passes its end. Session windows are those of the key's records of both streams.
   *
   * @example
   * ```ts
   * clicks.join(views).where((c) => c.ad).equalTo((v) => v.adId).window(windows.sliding({ size: { minutes: 10 }, slide: { minutes: 1 } }));
   * ```
   */
  window(assigner: TimeWindowAssigner<A | B>): WindowedJoin<A, B, K> {
    return new WindowedJoin<A, B, K>(this.sides, checkedWindows(this.sides, assigner));
  }
}

/** A coGroup with both keys: `window` says which windows records meet in. */
export class CoGroupKeyed<A, B, K extends Key> {
  constructor(private readonly sides: Sides<A, B, K>) {}

  /**
   * The windows both streams' records are cut into (see `JoinKeyed.window`).
   *
   * @example
   * ```ts
   * orders.coGroup(payments).where((o) => o.customer).equalTo((p) => p.payer).window(windows.session({ minutes: 30 }));
   * ```
   */
  window(assigner: TimeWindowAssigner<A | B>): WindowedCoGroup<A, B, K> {
    return new WindowedCoGroup<A, B, K>(this.sides, checkedWindows(this.sides, assigner));
  }
}

const checkedWindows = <A, B, K extends Key>({ kind, first, second }: Sides<A, B, K>, assigner: TimeWindowAssigner<A | B>): TimeWindowAssigner<A | B> =>
  checkTimeWindows<A | B>(`${kind}().window()`, assigner, [first, second]);

/** A window join ready for its function. */
export class WindowedJoin<A, B, K extends Key> {
  constructor(
    private readonly sides: Sides<A, B, K>,
    private readonly assigner: TimeWindowAssigner<A | B>,
  ) {}

  /**
   * An inner join: `join(a, b, { key, window })` for every pair of records of the two streams with
   * equal keys in one window, emitted when the window fires (pairs in time order of `a`, then `b`;
   * each carries the window's last millisecond as its timestamp). A record in two sliding windows
   * pairs in each.
   *
   * @example
   * ```ts
   * a.join(b).where((x) => x.id).equalTo((y) => y.id).window(windows.tumbling(1000)).apply((x, y) => ({ id: x.id, sum: x.v + y.v }));
   * ```
   */
  apply<O>(join: JoinFunction<A, B, O, K>): DataStream<O> {
    checkFunction('join().apply()', join, '(first, second, { key, window }) => result');
    return attachWindowed<A, B, O, K>(this.sides, this.assigner, windowJoinOperator<A, B, O, K>(this.assigner, join), join);
  }
}

/** A window coGroup ready for its function. */
export class WindowedCoGroup<A, B, K extends Key> {
  constructor(
    private readonly sides: Sides<A, B, K>,
    private readonly assigner: TimeWindowAssigner<A | B>,
  ) {}

  /**
   * Calls `coGroup(key, as, bs, out, window)` once per key and window that has a record of either
   * stream, when the window fires: `as` and `bs` are the window's records of each stream with that
   * key, earliest first, either possibly empty. The output type is that of `out`
   * (`out: Collector<Row>`), or an explicit `apply<Row>(...)`.
   *
   * @example
   * ```ts
   * a.coGroup(b).where((x) => x.id).equalTo((y) => y.id).window(windows.tumbling(1000))
   *   .apply((id, xs, ys, out: Collector<{ id: string; n: number }>) => out.collect({ id, n: xs.length + ys.length }));
   * ```
   */
  apply<O>(coGroup: CoGroupFunction<A, B, O, K>): DataStream<O> {
    checkFunction('coGroup().apply()', coGroup, '(key, firsts, seconds, out, window) => void');
    return attachWindowed<A, B, O, K>(this.sides, this.assigner, coGroupOperator<A, B, O, K>(this.assigner, coGroup), coGroup);
  }
}

function attachWindowed<A, B, O, K extends Key>(sides: Sides<A, B, K>, assigner: TimeWindowAssigner<A | B>, factory: Function, fn: Function): DataStream<O> {
  const { kind, first, second, firstKey, secondKey } = sides;
  return attachTwoInput<O>(
    first.keyBy(firstKey) as Stream<unknown>,
    second.keyBy(secondKey) as Stream<unknown>,
    { type: kind, factory, functions: [fn, ...assignerFunctions(assigner as TimeWindowAssigner<unknown>)], describe: { assigner: describeAssigner(assigner as TimeWindowAssigner<unknown>) } },
    true,
  );
}

/** Options of `between`: whether each bound itself is out of the interval. */
export interface IntervalJoinOptions {
  /** Excludes `lower`: the second record must come strictly more than `lower` after the first. Default false. */
  readonly lowerBoundExclusive?: boolean;
  /** Excludes `upper`: the second record must come strictly less than `upper` after the first. Default false. */
  readonly upperBoundExclusive?: boolean;
}

/**
 * Two keyed streams to be joined by time (`a.keyBy(k).intervalJoin(b.keyBy(k))`): `between` says
 * how far the second's records may be from the first's, then `process` gets each pair.
 *
 * @example
 * ```ts
 * orders.keyBy((o) => o.id)
 *   .intervalJoin(shipments.keyBy((s) => s.order))
 *   .between({ hours: 0 }, { days: 2 })
 *   .process((order, shipment, ctx, out: Collector<{ id: string; hours: number }>) => {
 *     out.collect({ id: order.id, hours: (ctx.rightTimestamp - ctx.leftTimestamp) / 3_600_000 });
 *   });
 * ```
 */
export class IntervalJoin<A, B, K extends Key> {
  constructor(
    private readonly first: KeyedStream<A, K>,
    private readonly second: KeyedStream<B, K>,
  ) {}

  /**
   * The interval: a record of the second stream at `tb` joins one of the first at `ta` when
   * `ta + lower ≤ tb ≤ ta + upper` (bounds may be negative: `between(-5_000, 5_000)` is "within 5
   * seconds either way"). Bounds are whole ms or a `Duration`; `lower ≤ upper`.
   *
   * @example
   * ```ts
   * orders.keyBy((o) => o.id).intervalJoin(shipments.keyBy((s) => s.order)).between(0, { days: 2 }, { upperBoundExclusive: true });
   * ```
   */
  between(lower: Duration, upper: Duration, options: IntervalJoinOptions = {}): IntervalJoined<A, B, K> {
    const call = 'intervalJoin().between()';
    const lo = toMillis(lower, call, 'lower');
    const hi = toMillis(upper, call, 'upper');
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw errors.invalidWindowing(call, `bounds are whole milliseconds, got between(${lo}, ${hi}).`);
    if (typeof options !== 'object' || options === null) throw errors.invalidWindowing(call, 'options is an object such as { lowerBoundExclusive: true }.');
    for (const key of Object.keys(options)) {
      if (key !== 'lowerBoundExclusive' && key !== 'upperBoundExclusive') throw errors.invalidWindowing(call, `unknown option "${key}": the options are lowerBoundExclusive and upperBoundExclusive.`);
    }
    const lowerExclusive = options.lowerBoundExclusive === true;
    const upperExclusive = options.upperBoundExclusive === true;
    if (lo > hi) throw errors.invalidWindowing(call, `lower (${lo}) is above upper (${hi}): no pair could ever join; swap them.`);
    if (lo === hi && (lowerExclusive || upperExclusive)) throw errors.invalidWindowing(call, `the interval [${lo}, ${hi}] with an exclusive bound is empty: no pair could ever join.`);
    if (lo + 1 === hi && lowerExclusive && upperExclusive) throw errors.invalidWindowing(call, `the interval (${lo}, ${hi}) holds no whole millisecond: no pair could ever join.`);
    return new IntervalJoined<A, B, K>(this.first, this.second, { lower: lo, upper: hi, lowerExclusive, upperExclusive });
  }
}

/** An interval join with its bounds, ready for its function. */
export class IntervalJoined<A, B, K extends Key> {
  constructor(
    private readonly first: KeyedStream<A, K>,
    private readonly second: KeyedStream<B, K>,
    private readonly bounds: { lower: number; upper: number; lowerExclusive: boolean; upperExclusive: boolean },
  ) {}

  /**
   * Calls `join(left, right, ctx, out)` for every pair within the interval, as soon as its later
   * record arrives; `ctx` has the key, both timestamps and `output(tag, record)`. What it emits
   * carries the later timestamp. Each record is kept only until the watermark shows that nothing
   * can join it any more; records at or before the watermark are late: counted and dropped.
   *
   * @example
   * ```ts
   * a.keyBy((x) => x.id).intervalJoin(b.keyBy((y) => y.id)).between(-10, 10)
   *   .process((x, y, ctx, out: Collector<[number, number]>) => out.collect([ctx.leftTimestamp, ctx.rightTimestamp]));
   * ```
   */
  process<O>(join: IntervalJoinFunction<A, B, O, K>): DataStream<O> {
    checkFunction('intervalJoin().process()', join, '(left, right, ctx, out) => void');
    return attachTwoInput<O>(
      this.first as Stream<unknown>,
      this.second as Stream<unknown>,
      { type: 'intervalJoin', factory: intervalJoinOperator<A, B, O, K>(this.bounds, join), functions: [join], describe: { ...this.bounds } },
      true,
    );
  }
}

/** Checks that both streams of an interval join have event time. */
export function checkIntervalJoin(first: Positioned, second: Positioned): void {
  for (const stream of [first, second]) checkTimestamps('intervalJoin()', stream, 'both streams of an interval join');
}
