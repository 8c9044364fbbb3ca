import type { OperatorFactory } from '../lib/operator/operator.ts';

/** `DataStream.filter`: keeps the records the predicate accepts. */
export const filterOperator =
  <T>(predicate: (record: T) => boolean): OperatorFactory<T, T> =>
  () => ({
    process(record, out) {
      if (predicate(record)) out.collect(record);
    },
  });
