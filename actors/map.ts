import type { OperatorFactory } from '../lib/operator/operator.ts';

/** `DataStream.map`: one record out per record in. */
export const mapOperator =
  <I, O>(fn: (record: I) => O): OperatorFactory<I, O> =>
  () => ({
    process(record, out) {
      out.collect(fn(record));
    },
  });
