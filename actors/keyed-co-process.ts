import type { Collector, KeyedOperatorContext, OperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { StateDeclarations, StateHandles } from '../lib/state/state-descriptors.ts';
import { KeyedFunctionHooks, ProcessContext, type KeyedProcessFunction, type KeyedTimerContext } from './keyed-process.ts';

/**
 * A keyed co-process function (Flink's `KeyedCoProcessFunction`): `process1` for the records of the
 * first input, `process2` for those of the second, both with the current record's key, the same
 * declared states of that key (`ctx.state`), its timers, time and side outputs; `onTimer` for every
 * timer either registered.
 *
 * @example
 * ```ts
 * const match: KeyedCoProcessDefinition<Order, Payment, string, { owed: StateDescriptor<ValueState<number>> }, string> = {
 *   state: { owed: state.value(0) },
 *   process1(order, ctx) { ctx.state.owed.update(ctx.state.owed.value() + order.amount); ctx.timers.registerEventTime(ctx.timestamp + 86_400_000); },
 *   process2(payment, ctx) { ctx.state.owed.update(ctx.state.owed.value() - payment.paid); },
 *   onTimer(time, ctx, out) { if (ctx.state.owed.value() > 0) out.collect(`${ctx.key} owes ${ctx.state.owed.value()}`); },
 * };
 * ```
 */
export interface KeyedCoProcessDefinition<A, B, K extends Key, D extends StateDeclarations, O> {
  /** The states of each key, by name; none when absent. */
  readonly state?: D;
  process1: KeyedProcessFunction<A, K, StateHandles<D>, O>;
  process2: KeyedProcessFunction<B, K, StateHandles<D>, O>;
  onTimer?(time: number, ctx: KeyedTimerContext<K, StateHandles<D>>, out: Collector<O>): void;
}

/**
 * What a co-process function of streams that are not keyed sees: time, side outputs and the
 * subtask's operator state (no key, so neither keyed state nor timers, as in Flink).
 */
export type CoProcessContext = Pick<OperatorContext, 'timestamp' | 'watermark' | 'currentProcessingTime' | 'output' | 'operatorState' | 'subtaskIndex' | 'parallelism'>;

/**
 * A co-process function of two streams that are not keyed (Flink's `CoProcessFunction`).
 *
 * @example
 * ```ts
 * const tagged: CoProcessDefinition<Order, Payment, string> = {
 *   process1(order, ctx, out) { out.collect(`order at ${ctx.timestamp}`); },
 *   process2(payment, ctx, out) { ctx.operatorState.list<Payment>('seen').add(payment); },
 * };
 * ```
 */
export interface CoProcessDefinition<A, B, O> {
  process1(record: A, ctx: CoProcessContext, out: Collector<O>): void;
  process2(record: B, ctx: CoProcessContext, out: Collector<O>): void;
}

/** `KeyedConnectedStreams.process`: the keyed process function's hooks, with a record going to the function of its input. */
export const keyedCoProcessOperator =
  <A, B, K extends Key, D extends StateDeclarations, O>(definition: KeyedCoProcessDefinition<A, B, K, D, O>): TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>> =>
  () => {
    const hooks = new KeyedFunctionHooks<K, D, ProcessContext<K, StateHandles<D>>, O>(definition.state, definition.onTimer, (ctx, state) => new ProcessContext(ctx, state));
    const { process1, process2 } = definition;
    return {
      open: (ctx) => hooks.open(ctx),
      process1: (record, out) => process1(record, hooks.context, out),
      process2: (record, out) => process2(record, hooks.context, out),
      onTimer: (time, domain, out) => hooks.onTimer(time, domain, out),
    };
  };

/** `ConnectedStreams.process`: each record to the function of its input, with the operator's own context. */
export const coProcessOperator =
  <A, B, O>(definition: CoProcessDefinition<A, B, O>): TwoInputOperatorFactory<A, B, O, OperatorContext> =>
  () => {
    let context: OperatorContext;
    const { process1, process2 } = definition;
    return {
      open: (ctx) => void (context = ctx),
      process1: (record, out) => process1(record, context, out),
      process2: (record, out) => process2(record, context, out),
    };
  };
