import type { OperatorFactory } from '../lib/actor/operator.ts';
import type { KeyedValueState } from '../lib/state/keyed-value-state.ts';
import type { Key } from '../lib/state/key-groups.ts';

/**
 * Incremental aggregation, Flink's AggregateFunction: an accumulator per key, created once, updated
 * by `add`, turned into a result by `result`.
 */
export interface Aggregation<T, A, R, K extends Key = Key> {
  create(): A;
  add(accumulator: A, record: T): A;
  result(accumulator: A, key: K): R;
}

/** `KeyedStream.aggregate`: a rolling aggregate per key; emits the updated result for every record. */
export const keyedAggregateOperator =
  <T, A, R, K extends Key>(aggregation: Aggregation<T, A, R, K>): OperatorFactory<T, R> =>
  () => {
    let keyOf: (record: unknown) => Key;
    let state: KeyedValueState<A>;
    return {
      open(ctx) {
        keyOf = (r) => ctx.keyOf(r);
        state = ctx.keyedValueState('aggregate');
      },
      process(record, out) {
        const key = keyOf(record) as K;
        const held = state.get(key);
        const accumulator = aggregation.add(held === undefined ? aggregation.create() : held, record);
        state.set(key, accumulator);
        out.collect(aggregation.result(accumulator, key));
      },
    };
  };
