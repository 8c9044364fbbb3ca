import type { KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';

/**
 * Incremental aggregation, Flink's AggregateFunction: an accumulator per key, created once, updated
 * by `add`, turned into a result by `result`. The result is emitted, so it belongs to the next
 * operator: return a new object, not the accumulator itself.
 */
export interface Aggregation<T, A, R, K extends Key = Key> {
  create(): A;
  add(accumulator: A, record: T): A;
  result(accumulator: A, key: K): R;
}

/** `KeyedStream.aggregate`: a rolling aggregate per key; emits the updated result for every record. */
export const keyedAggregateOperator =
  <T, A, R, K extends Key>(aggregation: Aggregation<T, A, R, K>): KeyedOperatorFactory<T, R, K> =>
  () => {
    let accumulators: ValueState<A | undefined>;
    let keys: { readonly key: K };
    return {
      open(ctx) {
        keys = ctx;
        accumulators = ctx.keyedState('aggregate', state.value<A>());
      },
      process(record, out) {
        const held = accumulators.value();
        const accumulator = aggregation.add(held === undefined ? aggregation.create() : held, record);
        accumulators.update(accumulator);
        out.collect(aggregation.result(accumulator, keys.key));
      },
    };
  };
