import { errors } from '../lib/errors.ts';
import type { Collector, KeyedOperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';

/** The bounds of an interval join: a right record at `tb` joins a left one at `ta` when `tb − ta` is within them. */
export interface IntervalBounds {
  readonly lower: number;
  readonly upper: number;
  readonly lowerExclusive: boolean;
  readonly upperExclusive: boolean;
}

/** What an interval join's function sees besides the pair. */
export interface IntervalJoinContext<K extends Key> {
  /** The key both records share. */
  readonly key: K;
  readonly leftTimestamp: number;
  readonly rightTimestamp: number;
  /** The timestamp of what the function emits: the later of the two records'. */
  readonly timestamp: number;
  /** Emits `record` to the side output `tag`. */
  output<S>(tag: OutputTag<S>, record: S): void;
}

/** An interval join's function (Flink's ProcessJoinFunction): called once per joined pair. */
export type IntervalJoinFunction<A, B, O, K extends Key> = (left: A, right: B, ctx: IntervalJoinContext<K>, out: Collector<O>) => void;

/** One buffered record and its time. */
type Entry<T> = [time: number, record: T];

/** What a key keeps: the records of each side that a record still to come could join. */
interface Buffers<A, B> {
  l: Entry<A>[];
  r: Entry<B>[];
}

/**
 * The interval join (Flink's IntervalJoinOperator): per key, each left record at `ta` joins each
 * right record at `tb` with `ta + lower ≤ tb ≤ ta + upper` (either bound exclusive if asked),
 * whichever arrives first. Each side's records wait in the key's state until the watermark makes
 * them unjoinable: a left record until `ta + upper`, a right one until `tb − lower`, when an
 * event-time timer removes them, so the state holds only what the bounds and the disorder need.
 * A record at or before the watermark is late, as in Flink: it is counted (`lateRecords`) and
 * dropped. What `join` emits carries the later of the two timestamps.
 *
 * @example
 * ```ts
 * keyedOrders.connect(keyedShipments).transform('shipped-in-time', intervalJoinOperator(
 *   { lower: 0, upper: 3_600_000, lowerExclusive: false, upperExclusive: false },
 *   (order, shipment, ctx, out) => out.collect({ order: order.id, after: ctx.rightTimestamp - ctx.leftTimestamp }),
 * ));
 * ```
 */
export function intervalJoinOperator<A, B, O, K extends Key>(bounds: IntervalBounds, join: IntervalJoinFunction<A, B, O, K>): TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>> {
  const { lower, upper, lowerExclusive, upperExclusive } = bounds;
  /** Whether a right record `d` = tb − ta after a left one joins it. */
  const within = (d: number): boolean => (lowerExclusive ? d > lower : d >= lower) && (upperExclusive ? d < upper : d <= upper);

  return () => {
    let ctx: KeyedOperatorContext<K>;
    let held: ValueState<Buffers<A, B> | undefined>;

    const emit = (left: A, leftTimestamp: number, right: B, rightTimestamp: number, out: Collector<O>): void => {
      const timestamp = Math.max(leftTimestamp, rightTimestamp);
      ctx.setTimestamp(timestamp);
      join(left, right, { key: ctx.key, leftTimestamp, rightTimestamp, timestamp, output: (tag, record) => ctx.output(tag, record) }, out);
    };

    /** The time of the record, or null when it is late (dropped); fails on a record without one. */
    const timeOf = (): number | null => {
      const t = ctx.timestamp;
      if (Number.isNaN(t)) throw errors.invalidWindowing('intervalJoin()', 'needs records with timestamps on both streams: call withTimestamps((r) => r.ts, { maxOutOfOrderMs }) before keyBy().');
      if (t <= ctx.watermark) {
        ctx.countLateRecord();
        return null;
      }
      return t;
    };

    /** Keeps a record while a record of the other side could still join it, with a timer at the end of that. */
    const keep = <T>(into: Entry<T>[], t: number, record: T, until: number, buffers: Buffers<A, B>): void => {
      if (until <= ctx.watermark) return;
      into.push([t, record]);
      ctx.timers.registerEventTime(until);
      held.update(buffers);
    };

    return {
      open(context) {
        ctx = context;
        held = ctx.keyedState('intervalJoin', state.value<Buffers<A, B>>());
      },

      process1(left, out) {
        const ta = timeOf();
        if (ta === null) return;
        const buffers = held.value() ?? { l: [], r: [] };
        for (const [tb, right] of buffers.r) if (within(tb - ta)) emit(left, ta, right, tb, out);
        keep(buffers.l, ta, left, ta + upper, buffers);
      },

      process2(right, out) {
        const tb = timeOf();
        if (tb === null) return;
        const buffers = held.value() ?? { l: [], r: [] };
        for (const [ta, left] of buffers.l) if (within(tb - ta)) emit(left, ta, right, tb, out);
        keep(buffers.r, tb, right, tb - lower, buffers);
      },

      onTimer(time) {
        const buffers = held.value();
        if (buffers === undefined) return;
        // Records after the watermark `time` are all later than it: a left record at ta with
        // ta + upper ≤ time, or a right one with tb − lower ≤ time, can never join again.
        buffers.l = buffers.l.filter(([ta]) => ta + upper > time);
        buffers.r = buffers.r.filter(([tb]) => tb - lower > time);
        if (buffers.l.length === 0 && buffers.r.length === 0) held.clear();
        else held.update(buffers);
      },
    };
  };
}
