import type { Collector, OperatorFactory } from '../lib/actor/operator.ts';
import type { KeyedValueState, ValueState } from '../lib/state/keyed-value-state.ts';
import type { Key } from '../lib/state/key-groups.ts';

/** What a keyed process function sees besides the record: its key and that key's state. */
export interface KeyedProcessContext<K extends Key, S> {
  /** The key of the current record. */
  readonly key: K;
  /** The value state of the current key. */
  readonly state: ValueState<S>;
}

export type KeyedProcessFunction<T, K extends Key, S, O> = (
  record: T,
  context: KeyedProcessContext<K, S>,
  out: Collector<O>,
) => void;

/** `KeyedStream.process`: a user function per record with the current key's value state. */
export const keyedProcessOperator =
  <T, K extends Key, S, O>(fn: KeyedProcessFunction<T, K, S, O>): OperatorFactory<T, O> =>
  () => {
    let keyOf: (record: unknown) => Key;
    let values: KeyedValueState<S>;
    // One context object reused for every record: its key changes, its handles stay.
    const context = {
      key: undefined as unknown as K,
      state: {
        value: (): S | undefined => values.get(context.key),
        update: (value: S) => values.set(context.key, value),
        clear: () => values.delete(context.key),
      } satisfies ValueState<S>,
    };
    return {
      open(ctx) {
        keyOf = (r) => ctx.keyOf(r);
        values = ctx.keyedValueState('value');
      },
      process(record, out) {
        context.key = keyOf(record) as K;
        fn(record, context, out);
      },
    };
  };
