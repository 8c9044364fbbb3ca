import type { OperatorFactory } from '../lib/actor/operator.ts';
import type { KeyedValueState } from '../lib/state/keyed-value-state.ts';
import type { Key } from '../lib/state/key-groups.ts';

/** `KeyedStream.reduce`: a rolling reduction per key; emits the updated value for every record. */
export const keyedReduceOperator =
  <T>(fn: (accumulated: T, record: T) => T): OperatorFactory<T, T> =>
  () => {
    let keyOf: (record: unknown) => Key;
    let state: KeyedValueState<{ v: T }>;
    return {
      open(ctx) {
        keyOf = (r) => ctx.keyOf(r);
        state = ctx.keyedValueState('reduce');
      },
      process(record, out) {
        const key = keyOf(record);
        const held = state.get(key);
        // The box tells "no value yet" apart from a reduction that legitimately produced undefined.
        const next = held === undefined ? record : fn(held.v, record);
        if (held === undefined) state.set(key, { v: next });
        else held.v = next;
        out.collect(next);
      },
    };
  };
