import type { Collector, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { StateDeclarations, StateHandles } from '../lib/state/state-descriptors.ts';

/** What a keyed process function sees besides the record: its key, and the declared states of that key. */
export interface KeyedProcessContext<K extends Key, S> {
  /** The key of the current record. */
  readonly key: K;
  /** The handles of the declared states, each reading and writing the current key's value. */
  readonly state: S;
}

/** A function per record of a keyed stream. */
export type KeyedProcessFunction<T, K extends Key, S, O> = (record: T, ctx: KeyedProcessContext<K, S>, out: Collector<O>) => void;

/**
 * A keyed process function with declared state: `state` names each state and its initial value,
 * and `ctx.state` has a typed handle for each.
 *
 * @example
 * ```ts
 * const counting: KeyedProcessDefinition<string, string, { count: StateDescriptor<ValueState<number>> }, string> = {
 *   state: { count: state.value(0) },
 *   process(word, ctx, out) {
 *     ctx.state.count.update(ctx.state.count.value() + 1);
 *     out.collect(`${word} ${ctx.state.count.value()}`);
 *   },
 * };
 * ```
 */
export interface KeyedProcessDefinition<T, K extends Key, D extends StateDeclarations, O> {
  readonly state: D;
  process: KeyedProcessFunction<T, K, StateHandles<D>, O>;
}

/** `KeyedStream.process`: a user function per record with the key and its declared states. */
export const keyedProcessOperator =
  <T, K extends Key, D extends StateDeclarations, O>(definition: KeyedProcessDefinition<T, K, D, O>): KeyedOperatorFactory<T, O, K> =>
  () => {
    let context: KeyedProcessContext<K, StateHandles<D>>;
    const fn = definition.process;
    return {
      open(ctx) {
        const handles: Record<string, unknown> = {};
        for (const [name, descriptor] of Object.entries(definition.state)) handles[name] = ctx.keyedState(name, descriptor);
        // One context object for every record: its key is read through, its handles stay.
        context = {
          get key() {
            return ctx.key;
          },
          state: handles as StateHandles<D>,
        };
      },
      process(record, out) {
        fn(record, context, out);
      },
    };
  };
