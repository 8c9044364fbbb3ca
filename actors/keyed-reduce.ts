import type { KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';

/**
 * `KeyedStream.reduce`: a rolling reduction per key; emits the updated value for every record.
 * The value it keeps is its own: it emits a copy (records it emits belong to the next operator,
 * which may change them), so `fn` may update its accumulator in place.
 */
export const keyedReduceOperator =
  <T>(fn: (accumulated: T, record: T) => T): KeyedOperatorFactory<T, T, Key> =>
  () => {
    // The box tells "no value yet" apart from a reduction that legitimately produced undefined.
    let held: ValueState<{ v: T } | undefined>;
    return {
      open(ctx) {
        held = ctx.keyedState('reduce', state.value<{ v: T }>());
      },
      process(record, out) {
        const box = held.value();
        const next = box === undefined ? record : fn(box.v, record);
        if (box === undefined) held.update({ v: next });
        else box.v = next;
        out.collect(typeof next === 'object' && next !== null ? structuredClone(next) : next);
      },
    };
  };
