import type { OperatorFactory } from '../lib/operator/operator.ts';

/**
 * `DataStream.flatMap`: zero or more records out per record in. The iterable goes out through
 * `collectAll`, so a large one (or a generator) is pulled only as fast as credit allows.
 */
export const flatMapOperator =
  <I, O>(fn: (record: I) => Iterable<O>): OperatorFactory<I, O> =>
  () => ({
    process(record, out) {
      out.collectAll(fn(record));
    },
  });
