import type { OperatorFactory } from '../lib/actor/operator.ts';

/** `DataStream.flatMap`: zero or more records out per record in. */
export const flatMapOperator =
  <I, O>(fn: (record: I) => Iterable<O>): OperatorFactory<I, O> =>
  () => ({
    process(record, out) {
      const produced = fn(record);
      // Arrays are by far the common case; indexing them skips the iterator protocol.
      if (Array.isArray(produced)) for (let i = 0; i < produced.length; i++) out.collect(produced[i] as O);
      else for (const r of produced) out.collect(r);
    },
  });
