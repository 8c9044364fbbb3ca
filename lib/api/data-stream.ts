import { keyedAggregateOperator, type Aggregation } from '../../actors/keyed-aggregate.ts';
import { keyedProcessOperator, type KeyedProcessFunction } from '../../actors/keyed-process.ts';
import { keyedReduceOperator } from '../../actors/keyed-reduce.ts';
import { filterOperator } from '../../actors/filter.ts';
import { flatMapOperator } from '../../actors/flat-map.ts';
import { identityOperator } from '../../actors/identity.ts';
import { mapOperator } from '../../actors/map.ts';
import type { OperatorFactory } from '../actor/operator.ts';
import { errors } from '../errors.ts';
import type { LogicalGraph, LogicalNode, Partition } from '../graph/logical-graph.ts';
import type { Key } from '../state/key-groups.ts';
import type { Sink } from './connectors.ts';
import type { JsonValue } from './json.ts';

const DEFAULT: Partition = { type: 'default' };

/** Settings shared by every operator handle: they apply to the operator that produced the stream. */
abstract class OperatorHandle {
  constructor(
    protected readonly graph: LogicalGraph,
    protected readonly node: LogicalNode,
  ) {}

  /** A stable operator id. Give one to every stateful operator: snapshots are matched to operators by it. */
  uid(id: string): this {
    if (!id) throw errors.invalidGraph(this.graph.job, 'uid() needs a non-empty string.');
    this.node.uid = id;
    return this;
  }

  /** The name shown in progress lines, metrics and errors. */
  name(name: string): this {
    if (!name) throw errors.invalidGraph(this.graph.job, 'name() needs a non-empty string.');
    this.node.name = name;
    return this;
  }

  /** How many parallel instances (subtasks) of this operator run; default: the job's `parallelism`. */
  parallelism(n: number): this {
    if (!Number.isInteger(n) || n < 1) {
      throw errors.invalidGraph(this.graph.job, `parallelism(${n}) of "${this.node.type}": use a whole number ≥ 1.`);
    }
    this.node.parallelism = n;
    return this;
  }
}

/**
 * A stream of records of type `T`. The builder only describes the graph; records flow when the job
 * runs (`run()` or `weir run`).
 *
 * @example
 * ```ts
 * env.from(sources.fromArray(['a b', 'b c']))
 *   .flatMap((line) => line.split(' '))
 *   .keyBy((word) => word)
 *   .process<{ word: string; n: number }, number>((word, ctx, out) => {
 *     const n = (ctx.state.value() ?? 0) + 1;
 *     ctx.state.update(n);
 *     out.collect({ word, n });
 *   })
 *   .to(sinks.collect('counts'));
 * ```
 */
export class DataStream<T> extends OperatorHandle {
  constructor(
    graph: LogicalGraph,
    node: LogicalNode,
    /** How the next operator's input edge distributes records. */
    protected readonly partition: Partition = DEFAULT,
  ) {
    super(graph, node);
  }

  /** Applies `fn` to every record. */
  map<O>(fn: (record: T) => O): DataStream<O> {
    return this.transformWith('map', mapOperator(fn), [fn]);
  }

  /** Keeps the records for which `predicate` is true; a type guard narrows the record type. */
  filter<S extends T>(predicate: (record: T) => record is S): DataStream<S>;
  filter(predicate: (record: T) => boolean): DataStream<T>;
  filter(predicate: (record: T) => boolean): DataStream<T> {
    return this.transformWith('filter', filterOperator(predicate), [predicate]);
  }

  /** Emits every record of the iterable `fn` returns (an array, a generator, …). */
  flatMap<O>(fn: (record: T) => Iterable<O>): DataStream<O> {
    return this.transformWith('flatMap', flatMapOperator(fn), [fn]);
  }

  /** Applies a user operator written against the operator contract (`open`, `process`, `close`, …). */
  transform<O>(name: string, factory: OperatorFactory<T, O>): DataStream<O> {
    return this.transformWith(name, factory, [factory]);
  }

  /**
   * Partitions the stream by key: every record with the same key reaches the same subtask, which
   * owns that key's state. Keys are strings or numbers.
   */
  keyBy<K extends Key>(key: (record: T) => K): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.graph, this.node, key);
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    const inputs = [this, ...others].map((s) => s.edge());
    return this.attach('union', identityOperator<T>(), [], inputs);
  }

  /** Distributes records round-robin over the next operator's subtasks (evens out skew). */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, { type: 'rebalance' });
  }

  /** Sends every record to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, { type: 'broadcast' });
  }

  /** Ends the stream in a sink. */
  to(sink: Sink<T>): DataStreamSink {
    const node = this.graph.add({
      kind: 'sink',
      type: sink.name,
      inputs: [this.edge()],
      describe: sink.describe,
      functions: [],
      createOperator: sink.createOperator as OperatorFactory<unknown, unknown>,
      ...(sink.egress === undefined ? {} : { egress: sink.egress }),
    });
    return new DataStreamSink(this.graph, node);
  }

  protected edge(): { from: number; partition: Partition } {
    return { from: this.node.id, partition: this.partition };
  }

  protected transformWith<O>(
    type: string,
    factory: OperatorFactory<T, O>,
    functions: readonly Function[],
    extra: { keyOf?: (record: unknown) => Key; describe?: JsonValue } = {},
  ): DataStream<O> {
    return this.attach(type, factory, functions, [this.edge()], extra);
  }

  private attach<O>(
    type: string,
    factory: OperatorFactory<T, O>,
    functions: readonly Function[],
    inputs: { from: number; partition: Partition }[],
    extra: { keyOf?: (record: unknown) => Key; describe?: JsonValue } = {},
  ): DataStream<O> {
    const node = this.graph.add({
      kind: 'operator',
      type,
      inputs,
      describe: extra.describe ?? null,
      functions,
      createOperator: factory as OperatorFactory<unknown, unknown>,
      ...(extra.keyOf ? { keyOf: extra.keyOf } : {}),
    });
    return new DataStream<O>(this.graph, node);
  }
}

/** The end of a pipeline; `uid`, `name` and `parallelism` apply to the sink. */
export class DataStreamSink extends OperatorHandle {}

/**
 * A stream partitioned by key (`DataStream.keyBy`). Its operators keep state per key; each key's
 * records arrive at one subtask, in order per upstream subtask.
 *
 * @example
 * ```ts
 * trades.keyBy((t) => t.symbol)
 *   .aggregate({
 *     create: () => ({ volume: 0, notional: 0 }),
 *     add: (a, t) => ({ volume: a.volume + t.size, notional: a.notional + t.size * t.price }),
 *     result: (a, symbol) => ({ symbol, vwap: a.notional / a.volume }),
 *   });
 * ```
 */
export class KeyedStream<T, K extends Key> extends DataStream<T> {
  readonly #key: (record: T) => K;

  constructor(graph: LogicalGraph, node: LogicalNode, key: (record: T) => K) {
    super(graph, node, { type: 'hash', key: key as (record: unknown) => Key });
    this.#key = key;
  }

  /** Rolling reduce: combines each record with the key's previous result and emits the new result. */
  reduce(fn: (accumulated: T, record: T) => T): DataStream<T> {
    return this.keyed('reduce', keyedReduceOperator(fn), [fn]);
  }

  /** Rolling aggregate: updates the key's accumulator and emits `result` for every record. */
  aggregate<A, R>(aggregation: Aggregation<T, A, R, K>): DataStream<R> {
    return this.keyed('aggregate', keyedAggregateOperator(aggregation), [
      aggregation.create,
      aggregation.add,
      aggregation.result,
    ]);
  }

  /**
   * A function per record with the key and a value state of type `S` for that key.
   * Give the state type explicitly: `.process<Out, State>((record, ctx, out) => …)`.
   */
  process<O, S = never>(fn: KeyedProcessFunction<T, K, S, O>): DataStream<O> {
    return this.keyed('process', keyedProcessOperator(fn), [fn]);
  }

  /** Applies a user operator to the keyed stream: its context's `keyOf` and keyed state work per key. */
  override transform<O>(name: string, factory: OperatorFactory<T, O>): DataStream<O> {
    return this.keyed(name, factory, [factory]);
  }

  private keyed<O>(type: string, factory: OperatorFactory<T, O>, functions: readonly Function[]): DataStream<O> {
    return this.transformWith(type, factory, functions, { keyOf: this.#key as (record: unknown) => Key });
  }
}
