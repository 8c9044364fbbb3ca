import type { OperatorFactory } from '../lib/operator/operator.ts';

/** Forwards records unchanged: the operator behind `union`, `rebalance()` and `broadcast()` hops. */
export const identityOperator = <T>(): OperatorFactory<T, T> => () => ({
  process(record, out) {
    out.collect(record);
  },
});
