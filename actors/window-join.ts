import type { Collector, KeyedOperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import { sideOf, twoSidedWindowOperator, type Sided, type TimeWindowAssigner } from './two-sided-window.ts';

/** What a window join's function sees besides the pair: the key and the window they met in. */
export interface JoinInfo<K extends Key> {
  readonly key: K;
  readonly window: TimeWindow;
}

/** A window join's function: one result per pair of same-key records of a window. */
export type JoinFunction<A, B, O, K extends Key> = (first: A, second: B, info: JoinInfo<K>) => O;

/**
 * A coGroup's function: called once per key and window with both groups (earliest first), either
 * of which may be empty; emits what it likes.
 */
export type CoGroupFunction<A, B, O, K extends Key> = (key: K, first: readonly A[], second: readonly B[], out: Collector<O>, window: TimeWindow) => void;

/**
 * The coGroup operator: per key and window, both inputs' records of the window, handed to
 * `coGroup` when the window fires (at the watermark, for event time).
 *
 * @example
 * ```ts
 * keyedOrders.connect(keyedPayments).transform('coGroup', coGroupOperator(windows.tumbling(60_000), (customer, orders, payments, out) => {
 *   out.collect({ customer, unpaid: orders.length - payments.length });
 * }));
 * ```
 */
export function coGroupOperator<A, B, O, K extends Key>(assigner: TimeWindowAssigner<A | B>, coGroup: CoGroupFunction<A, B, O, K>): TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>> {
  const process = (key: K, window: TimeWindow, records: readonly Sided<A, B>[], out: Collector<O | null>): void =>
    coGroup(key, sideOf(records, 0), sideOf(records, 1), out as Collector<O>, window);
  return twoSidedWindowOperator<A, B, O, K>(assigner, { kind: 'process', process: process });
}

/**
 * The window join operator (an inner join): per key and window, `join(a, b)` for every pair of a
 * record of the first input and one of the second, in time order of the first, then the second.
 *
 * @example
 * ```ts
 * keyedClicks.connect(keyedViews).transform('join', windowJoinOperator(windows.tumbling(1000), (click, view) => ({ ad: click.ad, view: view.id })));
 * ```
 */
export function windowJoinOperator<A, B, O, K extends Key>(assigner: TimeWindowAssigner<A | B>, join: JoinFunction<A, B, O, K>): TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>> {
  const pairs = (key: K, first: readonly A[], second: readonly B[], out: Collector<O>, window: TimeWindow): void => {
    if (first.length === 0 || second.length === 0) return;
    const info: JoinInfo<K> = { key, window };
    // A generator, so that a window of many pairs emits them only as credit allows.
    out.collectAll(
      (function* () {
        for (const a of first) for (const b of second) yield join(a, b, info);
      })(),
    );
  };
  return coGroupOperator<A, B, O, K>(assigner, pairs);
}
