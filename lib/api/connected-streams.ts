import { errors } from '../errors.ts';
import type { KeyedOperatorContext, OperatorContext, TwoInputOperatorFactory } from '../operator/operator.ts';
import type { Key } from '../state/key-groups.ts';
import type { JsonValue } from '../util/json.ts';
import { attachOperator, POSITION, type DataStream, type Stream } from './data-stream.ts';

/** What a two-input operator node is made of, besides its two inputs. */
interface TwoInputSpec {
  readonly type: string;
  readonly factory: Function;
  readonly functions: readonly Function[];
  readonly describe?: JsonValue;
}

/**
 * Adds an operator that reads `first` as its first input and `second` as its second; keyed on both
 * when both are keyed streams. The API's two-input operations (connect, joins) all end here.
 */
export function attachTwoInput<O>(first: Stream<unknown>, second: Stream<unknown>, spec: TwoInputSpec, keyed: boolean): DataStream<O> {
  const a = first[POSITION]();
  const b = second[POSITION]();
  if (a.graph !== b.graph) throw errors.invalidGraph(a.graph.job, `${spec.type}: the two streams belong to different jobs; connect streams of one job.`);
  const keyedBy = keyed ? ([selectorOf(a.partition), selectorOf(b.partition)] as const) : undefined;
  return attachOperator<O>(a.graph, { ...spec, inputs: [a.edge, { ...b.edge, input: 1 }], ...(keyedBy ? { keyedBy } : {}) });
}

const selectorOf = (partition: { type: string; selector?: number }): number => {
  if (partition.type !== 'hash' || partition.selector === undefined) throw new TypeError('a keyed two-input operator needs two keyed streams');
  return partition.selector;
};

/**
 * Two streams connected (`a.connect(b)`): one operator reads both, each record by the input it
 * came from, and shares its state between them. The streams keep their own types.
 *
 * @example
 * ```ts
 * orders.connect(cancellations).transform('match', () => ({
 *   process1(order, out) { out.collect({ kind: 'order', id: order.id }); },
 *   process2(cancel, out) { out.collect({ kind: 'cancel', id: cancel.orderId }); },
 * }));
 * ```
 */
export class ConnectedStreams<A, B> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
  ) {}

  /** Applies a two-input operator written against the operator contract, named `name`. */
  transform<O>(name: string, factory: TwoInputOperatorFactory<A, B, O, OperatorContext>): DataStream<O> {
    return attachTwoInput<O>(this.first as Stream<unknown>, this.second as Stream<unknown>, { type: name, factory, functions: [factory] }, false).name(name);
  }
}

/**
 * Two keyed streams connected (`a.keyBy(k).connect(b.keyBy(k))`): records with the same key reach
 * the same subtask whichever input they come by, and share that key's state and timers.
 *
 * @example
 * ```ts
 * orders.keyBy((o) => o.customer).connect(customers.keyBy((c) => c.id)).transform('enrich', () => {
 *   let name: ValueState<string | undefined>;
 *   return {
 *     open(ctx) { name = ctx.keyedState('name', state.value<string>()); },
 *     process1(order, out) { out.collect({ ...order, customerName: name.value() ?? 'unknown' }); },
 *     process2(customer) { name.update(customer.name); },
 *   };
 * });
 * ```
 */
export class KeyedConnectedStreams<A, B, K extends Key> {
  constructor(
    private readonly first: Stream<A>,
    private readonly second: Stream<B>,
  ) {}

  /** Applies a keyed two-input operator written against the operator contract, named `name`. */
  transform<O>(name: string, factory: TwoInputOperatorFactory<A, B, O, KeyedOperatorContext<K>>): DataStream<O> {
    return attachTwoInput<O>(this.first as Stream<unknown>, this.second as Stream<unknown>, { type: name, factory, functions: [factory] }, true).name(name);
  }
}
