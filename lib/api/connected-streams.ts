import { coProcessOperator, keyedCoProcessOperator, type CoProcessDefinition, type KeyedCoProcessDefinition } from '../../actors/keyed-co-process.ts';
import { errors } from '../errors.ts';
import { shownAs, type LogicalGraph } from '../graph/logical-graph.ts';
import type { KeyedOperatorContext, OperatorContext, TwoInputOperatorFactory } from '../operator/operator.ts';
import type { Key } from '../state/key-groups.ts';
import type { StateDeclarations } from '../state/state-descriptors.ts';
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
  const keyedBy = keyed ? ([selectorOf(a.graph, a.partition), selectorOf(a.graph, b.partition)] as const) : undefined;
  return attachOperator<O>(a.graph, { ...spec, inputs: [a.edge, { ...b.edge, input: 1 }], ...(keyedBy ? { keyedBy } : {}) });
}

const selectorOf = (graph: LogicalGraph, partition: { type: string; selector?: number }): number => {
  // A broadcast input of a keyed operator (the broadcast state pattern) has no key: its records go to
  // a function that is given no key, so one constant key stands in for the stage to set.
  if (partition.type === 'broadcast') return graph.addKeySelector(shownAs(() => 0, 'broadcast'));
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

  /**
   * A co-process function: `process1` for each record of the first stream, `process2` for each of
   * the second, both with the record's time, side outputs and the subtask's operator state
   * (`ctx.operatorState.list(name)`). Streams that are not keyed have neither keyed state nor timers:
   * key both (`keyBy`) for those. The output type comes from `out: Collector<O>`.
   *
   * @example
   * ```ts
   * orders.connect(payments).process({
   *   process1(order, ctx, out: Collector<string>) { out.collect(`order ${order.id} at ${ctx.timestamp}`); },
   *   process2(payment, ctx, out) { out.collect(`payment for ${payment.orderId}`); },
   * });
   * ```
   */
  process<O>(definition: CoProcessDefinition<A, B, O>): DataStream<O> {
    const graph = this.first[POSITION]().graph;
    const functions = checkFunctions(graph, 'connect(...).process()', definition, ['process1', 'process2']);
    if (typeof (definition as { onTimer?: unknown }).onTimer === 'function' || 'state' in definition) {
      throw errors.invalidGraph(graph.job, 'connect(...).process(): timers and keyed state need a key; key both streams (a.keyBy(k).connect(b.keyBy(k))) to use state and onTimer.');
    }
    return attachTwoInput<O>(this.first as Stream<unknown>, this.second as Stream<unknown>, { type: 'coProcess', factory: coProcessOperator(definition), functions }, false);
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

  /**
   * A keyed co-process function, as `KeyedStream.process` over two inputs: `process1` for each
   * record of the first stream, `process2` for each of the second, with the record's key
   * (`ctx.key`), the declared states of that key shared by both (`ctx.state.name`), its timers
   * (`ctx.timers`, event and processing time; `onTimer` once per key and time, in time order), time
   * (`ctx.timestamp`, `ctx.watermark`) and side outputs (`ctx.output`). The output type comes from
   * `out: Collector<O>`.
   *
   * @example
   * ```ts
   * orders.keyBy((o) => o.customer).connect(payments.keyBy((p) => p.payer)).process({
   *   state: { owed: state.value(0) },
   *   process1(order, ctx) {
   *     ctx.state.owed.update(ctx.state.owed.value() + order.amount);
   *     ctx.timers.registerEventTime(ctx.timestamp + 86_400_000);
   *   },
   *   process2(payment, ctx) { ctx.state.owed.update(ctx.state.owed.value() - payment.paid); },
   *   onTimer(time, ctx, out: Collector<{ customer: string; owed: number }>) {
   *     if (ctx.state.owed.value() > 0) out.collect({ customer: ctx.key, owed: ctx.state.owed.value() });
   *   },
   * });
   * ```
   */
  process<O, D extends StateDeclarations = {}>(definition: KeyedCoProcessDefinition<A, B, K, D, O>): DataStream<O> {
    const functions = checkFunctions(this.first[POSITION]().graph, 'connect(...).process()', definition, ['process1', 'process2'], ['onTimer']);
    return attachTwoInput<O>(
      this.first as Stream<unknown>,
      this.second as Stream<unknown>,
      { type: 'coProcess', factory: keyedCoProcessOperator(definition), functions, describe: describeStates(definition.state) },
      true,
    );
  }
}

/** Checks that `definition` has a function under each of `names`, for the call `call`. */
export function checkFunctions(graph: LogicalGraph, call: string, definition: unknown, names: readonly string[], optional: readonly string[] = []): Function[] {
  const shape = `{ ${names.join(', ')}${optional.length ? `, ${optional.map((n) => `${n}?`).join(', ')}` : ''} }`;
  if (typeof definition !== 'object' || definition === null) throw errors.invalidGraph(graph.job, `${call} needs an object ${shape}.`);
  const record = definition as Record<string, unknown>;
  for (const name of [...names, ...optional]) {
    const fn = record[name];
    if (typeof fn !== 'function' && (fn !== undefined || names.includes(name))) {
      throw errors.invalidGraph(graph.job, `${call}: ${name} must be a function (record, ctx, out) => …; the definition is ${shape}.`);
    }
  }
  return [...names, ...optional].map((name) => record[name]).filter((fn): fn is Function => typeof fn === 'function');
}

/** The declared states of a definition by name and kind, as the graph shows them. */
export const describeStates = (declarations: StateDeclarations | undefined): { [name: string]: string } =>
  Object.fromEntries(Object.entries(declarations ?? {}).map(([name, d]) => [name, String((d as { kind?: unknown } | undefined)?.kind)]));
