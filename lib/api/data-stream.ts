import { keyedAggregateOperator, type Aggregation } from '../../actors/keyed-aggregate.ts';
import { keyedProcessOperator, type KeyedProcessDefinition, type KeyedProcessFunction } from '../../actors/keyed-process.ts';
import { keyedReduceOperator } from '../../actors/keyed-reduce.ts';
import { filterOperator } from '../../actors/filter.ts';
import { flatMapOperator } from '../../actors/flat-map.ts';
import { identityOperator } from '../../actors/identity.ts';
import { mapOperator } from '../../actors/map.ts';
import { errors } from '../errors.ts';
import { displayName, shownAs, type KeyedBy, type LogicalEdge, type LogicalGraph, type LogicalNode, type Partition } from '../graph/logical-graph.ts';
import type { KeyedOperatorFactory, OperatorFactory } from '../operator/operator.ts';
import type { Sink } from '../operator/sink.ts';
import type { Key } from '../state/key-groups.ts';
import type { StateDeclarations } from '../state/state-descriptors.ts';
import type { JsonValue } from '../util/json.ts';
import { OutputTag } from '../operator/output-tag.ts';
import { boundedOutOfOrder, type WatermarkGenerator } from '../operator/watermarks.ts';
import type { WindowAssigner, WindowOf } from '../window/assigners.ts';
import { AllWindowedStream, WindowedStream } from './windowed-stream.ts';
import { ConnectedStreams, KeyedConnectedStreams } from './connected-streams.ts';
import type { BroadcastStateDescriptor } from '../state/broadcast-state-descriptor.ts';
import { BroadcastConnectedStreams, BroadcastStream, KeyedBroadcastConnectedStreams } from './broadcast-stream.ts';
import { CoGroupedStreams, IntervalJoin, JoinedStreams, checkIntervalJoin } from './joins.ts';
import { distinctOf, setOperation, type DistinctOptions, type SetOperationOptions } from './set-operations.ts';

/** How `withTimestamps` makes watermarks. */
export interface WatermarkOptions<T> {
  /** How late a record may come after a later one (bounded out-of-orderness); 0 for ordered input. Default 0. */
  maxOutOfOrderMs?: number;
  /** After this long without a record, a subtask stops holding back the watermark downstream. Default: never. */
  idleMs?: number;
  /** A watermark generator of your own instead of bounded out-of-orderness (a fresh one per subtask). */
  generator?: () => WatermarkGenerator<T>;
}

function checkWatermarkOptions<T>(job: string, timestamp: unknown, options: WatermarkOptions<T>): WatermarkOptions<T> {
  if (typeof timestamp !== 'function') throw errors.invalidGraph(job, 'withTimestamps() needs a function (record) => milliseconds.');
  if (typeof options !== 'object' || options === null) throw errors.invalidGraph(job, 'withTimestamps(fn, options): options is an object such as { maxOutOfOrderMs: 1000 }.');
  const { maxOutOfOrderMs, idleMs, generator } = options;
  if (maxOutOfOrderMs !== undefined && (typeof maxOutOfOrderMs !== 'number' || !Number.isFinite(maxOutOfOrderMs) || maxOutOfOrderMs < 0)) {
    throw errors.invalidGraph(job, `withTimestamps: maxOutOfOrderMs must be a number of milliseconds ≥ 0, got ${String(maxOutOfOrderMs)}.`);
  }
  if (idleMs !== undefined && (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs <= 0)) {
    throw errors.invalidGraph(job, `withTimestamps: idleMs must be a number of milliseconds > 0, got ${String(idleMs)}.`);
  }
  if (generator !== undefined && typeof generator !== 'function') throw errors.invalidGraph(job, 'withTimestamps: generator must be a function returning a WatermarkGenerator.');
  if (generator !== undefined && maxOutOfOrderMs !== undefined) throw errors.invalidGraph(job, 'withTimestamps: give maxOutOfOrderMs or a generator, not both.');
  return options;
}

const DEFAULT: Partition = { type: 'default' };

/** The settings of one operator: `uid`, `name`, `parallelism`. Only handles of an operator have them. */
function configure(graph: LogicalGraph, node: LogicalNode) {
  return {
    uid(id: string): void {
      if (typeof id !== 'string' || !id) throw errors.invalidGraph(graph.job, 'uid() needs a non-empty string.');
      node.uid = id;
    },
    name(name: string): void {
      if (typeof name !== 'string' || !name) throw errors.invalidGraph(graph.job, 'name() needs a non-empty string.');
      node.name = name;
    },
    parallelism(n: number): void {
      if (!Number.isInteger(n) || n < 1) throw errors.invalidGraph(graph.job, `parallelism(${n}) of "${node.type}": use a whole number ≥ 1.`);
      const input = node.source?.ingress?.name;
      if (input !== undefined && n !== 1) throw errors.invalidGraph(graph.job, `parallelism(${n}) of input "${input}": an input runs at parallelism 1 (one ordered log); rebalance() or keyBy() after it to spread its records.`);
      node.parallelism = n;
    },
  };
}

/** Where a stream is in the graph: what a new operator reading it needs. */
export interface StreamPosition {
  readonly graph: LogicalGraph;
  /** The edge a consumer of this stream gets. */
  readonly edge: LogicalEdge;
  readonly partition: Partition;
}

/** The key under which streams answer `StreamPosition` (see `Stream[POSITION]`); not exported to users. */
export const POSITION = Symbol('weir.streamPosition');

/**
 * What every stream offers: the transformations. A `Stream` is records on their way to the next
 * operator, partitioned (`keyBy`, `rebalance`, `broadcast`) or not; only a `DataStream`, the output
 * of one operator, has that operator's settings (`uid`, `name`, `parallelism`), so that a setting
 * can never land on another operator than the one it reads like.
 */
export abstract class Stream<T> {
  constructor(
    protected readonly graph: LogicalGraph,
    protected readonly node: LogicalNode,
    /** How the next operator's input edge distributes records. */
    protected readonly partition: Partition = DEFAULT,
    /** The side output of `node` this stream reads, if not its main output. */
    protected readonly tag?: string,
  ) {}

  /**
   * Gives every record its event time, from `timestamp` (milliseconds), and the stream its
   * watermarks: by default the highest timestamp seen less `maxOutOfOrderMs` (0 for ordered input),
   * or what a custom `generator` says. Watermarks are computed every `watermarkIntervalMs` (a run
   * option, default 200), never per record. With `idleMs`, a subtask that has had no record for that
   * long stops holding back the watermark downstream until records return. Needed before event-time
   * windows and timers.
   *
   * @example
   * ```ts
   * trades.withTimestamps((t) => t.ts, { maxOutOfOrderMs: 500, idleMs: 5_000 });
   * ```
   */
  withTimestamps(timestamp: (record: T) => number, options: WatermarkOptions<T> = {}): DataStream<T> {
    const { maxOutOfOrderMs, idleMs, generator } = checkWatermarkOptions(this.graph.job, timestamp, options);
    const node = this.graph.add({
      kind: 'operator',
      type: 'withTimestamps',
      inputs: [this.edge()],
      describe: { maxOutOfOrderMs: maxOutOfOrderMs ?? null, idleMs: idleMs ?? null, custom: generator !== undefined },
      functions: [timestamp, ...(generator ? [generator] : [])],
      assigner: {
        timestampOf: timestamp as (record: unknown) => number,
        generator: (generator as (() => WatermarkGenerator<unknown>) | undefined) ?? (() => boundedOutOfOrder(maxOutOfOrderMs ?? 0)),
        ...(idleMs === undefined ? {} : { idleMs }),
      },
    });
    return new DataStream<T>(this.graph, node);
  }

  /** Applies `fn` to every record. */
  map<O>(fn: (record: T) => O): DataStream<O> {
    return this.attach('map', mapOperator(fn), [fn]);
  }

  /** Keeps the records for which `predicate` is true; a type guard narrows the record type. */
  filter<S extends T>(predicate: (record: T) => record is S): DataStream<S>;
  filter(predicate: (record: T) => boolean): DataStream<T>;
  filter(predicate: (record: T) => boolean): DataStream<T> {
    return this.attach('filter', filterOperator(predicate), [predicate]);
  }

  /** Emits every record of the iterable `fn` returns (an array, a generator, …), as credit allows. */
  flatMap<O>(fn: (record: T) => Iterable<O>): DataStream<O> {
    return this.attach('flatMap', flatMapOperator(fn), [fn]);
  }

  /**
   * Applies a user operator written against the operator contract (`open`, `process`, `close`, …),
   * named `name` in metrics and errors.
   *
   * @example
   * ```ts
   * stream.transform('dedupe', () => {
   *   let last: unknown;
   *   return { process(r, out) { if (r !== last) out.collect(r); last = r; } };
   * });
   * ```
   */
  transform<O>(name: string, factory: OperatorFactory<T, O>): DataStream<O> {
    return this.attach(name, factory, [factory]).name(name);
  }

  /**
   * Partitions the stream by key: every record with the same key reaches the same subtask, which
   * owns that key's state. Keys are strings or numbers.
   */
  keyBy<K extends Key>(key: (record: T) => K): KeyedStream<T, K> {
    const selector = this.graph.addKeySelector(key as (record: unknown) => Key);
    return new KeyedStream<T, K>(this.graph, this.node, { type: 'hash', selector });
  }

  /** Merges streams of the same type. */
  union(...others: Stream<T>[]): DataStream<T> {
    const inputs = [this, ...others].map((s) => s.edge());
    return this.attach('union', identityOperator<T>(), [], {}, inputs);
  }

  /**
   * Cuts the whole stream into windows, with no key: one subtask sees every record (see
   * `KeyedStream.window` for windows per key, which spread over subtasks).
   *
   * @example
   * ```ts
   * trades.windowAll(windows.tumbling({ minutes: 1 })).aggregate({ create: () => 0, add: (n) => n + 1, result: (n, w) => ({ start: w.start, n }) });
   * ```
   */
  windowAll<A extends WindowAssigner<T>>(assigner: A): AllWindowedStream<T, WindowOf<A>> {
    return new AllWindowedStream(this.keyBy(shownAs(() => 0 as const, 'windowAll')).window(assigner));
  }

  /** Distributes records round-robin over the next operator's subtasks (evens out skew). */
  rebalance(): PartitionedStream<T> {
    return new PartitionedStream<T>(this.graph, this.node, { type: 'rebalance' });
  }

  /**
   * Sends every record to every subtask of the next operator. Given descriptors of broadcast state,
   * it makes a `BroadcastStream` instead, for the broadcast state pattern: connected to another
   * stream, each subtask keeps the maps the descriptors name, alike on every subtask.
   *
   * @example
   * ```ts
   * const limits = new BroadcastStateDescriptor<string, number>('limits');
   * const rules = limitStream.broadcast(limits); // then trades.keyBy(...).connect(rules).process({ ... })
   * ```
   */
  broadcast(...descriptors: [BroadcastStateDescriptor<Key, unknown>, ...BroadcastStateDescriptor<Key, unknown>[]]): BroadcastStream<T>;
  // Last, so that `ReturnType<typeof stream.broadcast>` (which reads the last overload) stays the plain partitioning.
  broadcast(): PartitionedStream<T>;
  broadcast(...descriptors: BroadcastStateDescriptor<Key, unknown>[]): PartitionedStream<T> | BroadcastStream<T> {
    const partitioned = new PartitionedStream<T>(this.graph, this.node, { type: 'broadcast' });
    return descriptors.length === 0 ? partitioned : new BroadcastStream<T>(partitioned, descriptors);
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
      ...(sink.delivery === undefined ? {} : { delivery: sink.delivery }),
    });
    return new DataStreamSink(this.graph, node);
  }

  /** weir's own access to where this stream is in the graph, for the API's other modules (not part of the public API). */
  [POSITION](): StreamPosition {
    return { graph: this.graph, edge: this.edge(), partition: this.partition };
  }

  protected edge(): LogicalEdge {
    return { from: this.node.id, partition: this.partition, ...(this.tag === undefined ? {} : { tag: this.tag }) };
  }

  protected attach<O>(
    type: string,
    factory: OperatorFactory<T, O> | KeyedOperatorFactory<T, O, Key>,
    functions: readonly Function[],
    extra: { keyedBy?: number; describe?: JsonValue } = {},
    inputs: LogicalEdge[] = [this.edge()],
  ): DataStream<O> {
    return attachOperator<O>(this.graph, { type, inputs, factory, functions, ...extra });
  }
}

/** Adds an operator node reading `inputs` and returns its output stream. */
export function attachOperator<O>(
  graph: LogicalGraph,
  spec: {
    type: string;
    inputs: LogicalEdge[];
    factory: Function;
    functions: readonly Function[];
    keyedBy?: KeyedBy;
    describe?: JsonValue;
  },
): DataStream<O> {
  const node = graph.add({
    kind: 'operator',
    type: spec.type,
    inputs: spec.inputs,
    describe: spec.describe ?? null,
    functions: spec.functions,
    createOperator: spec.factory as OperatorFactory<unknown, unknown>,
    ...(spec.keyedBy === undefined ? {} : { keyedBy: spec.keyedBy }),
  });
  return new DataStream<O>(graph, node);
}

/**
 * The records an operator emits, of type `T`. The builder only describes the graph; records flow
 * when the job runs (`run()` or `weir run`). `uid`, `name` and `parallelism` set that operator.
 *
 * @example
 * ```ts
 * env.from(sources.fromArray(['a b', 'b c']))
 *   .flatMap((line) => line.split(' '))
 *   .name('split')
 *   .keyBy((word) => word)
 *   .process({
 *     state: { n: state.value(0) },
 *     process(word, ctx, out: Collector<{ word: string; n: number }>) {
 *       ctx.state.n.update(ctx.state.n.value() + 1);
 *       out.collect({ word, n: ctx.state.n.value() });
 *     },
 *   })
 *   .to(sinks.collect('counts'));
 * ```
 */
export class DataStream<T> extends Stream<T> {
  /** A stable operator id. Give one to every stateful operator: snapshots are matched to operators by it. */
  uid(id: string): this {
    configure(this.graph, this.node).uid(id);
    return this;
  }

  /** The name shown in progress lines, metrics and errors. */
  name(name: string): this {
    configure(this.graph, this.node).name(name);
    return this;
  }

  /** How many parallel instances (subtasks) of this operator run; default: the job's `parallelism`. */
  parallelism(n: number): this {
    configure(this.graph, this.node).parallelism(n);
    return this;
  }

  /**
   * Connects this stream to `other`: one operator then reads both, each record by the input it came
   * from (`process1`, `process2`), with state shared between them.
   */
  connect<B>(other: Stream<B>): ConnectedStreams<T, B>;
  /**
   * Connects this stream to a broadcast stream (`stream.broadcast(descriptor)`): every subtask
   * reading this stream gets every broadcast record and keeps the broadcast state alike.
   *
   * @example
   * ```ts
   * words.connect(stopWords.broadcast(stop)).process({
   *   processBroadcastElement(word, ctx) { ctx.broadcastState(stop).put(word, true); },
   *   processElement(word, ctx, out: Collector<string>) { if (!ctx.broadcastState(stop).has(word)) out.collect(word); },
   * });
   * ```
   */
  connect<B>(rules: BroadcastStream<B>): BroadcastConnectedStreams<T, B>;
  connect<B>(other: Stream<B> | BroadcastStream<B>): ConnectedStreams<T, B> | BroadcastConnectedStreams<T, B> {
    return other instanceof BroadcastStream ? new BroadcastConnectedStreams<T, B>(this, other) : new ConnectedStreams<T, B>(this, other);
  }

  /**
   * The records this operator emitted to the side output `tag` (`ctx.output(tag, record)`, or a
   * window's late records): a stream of the tag's record type.
   *
   * @example
   * ```ts
   * const alerts = new OutputTag<Alert>('alerts');
   * const checked = trades.keyBy((t) => t.symbol).process((t, ctx, out: Collector<Trade>) => {
   *   if (t.price > 1000) ctx.output(alerts, { symbol: t.symbol, price: t.price });
   *   out.collect(t);
   * });
   * checked.sideOutput(alerts).to(sinks.collect('alerts'));
   * ```
   */
  sideOutput<S>(tag: OutputTag<S>): SideOutputStream<S> {
    if (!(tag instanceof OutputTag)) throw errors.invalidGraph(this.graph.job, 'sideOutput() needs an OutputTag, e.g. new OutputTag<Alert>("alerts").');
    this.graph.useTag(tag);
    return new SideOutputStream<S>(this.graph, this.node, DEFAULT, tag.id);
  }

  /**
   * Joins this stream with `other` by key within windows (an inner join): `where` and `equalTo`
   * give each stream's key, `window` the windows, `apply` one result per pair.
   *
   * @example
   * ```ts
   * clicks.join(views).where((c) => c.ad).equalTo((v) => v.ad).window(windows.tumbling({ minutes: 1 })).apply((c, v) => ({ ad: c.ad, lag: c.ts - v.ts }));
   * ```
   */
  join<B>(other: Stream<B>): JoinedStreams<T, B> {
    if (!(other instanceof Stream)) throw errors.invalidGraph(this.graph.job, 'join() needs another stream.');
    return new JoinedStreams<T, B>(this, other);
  }

  /**
   * Groups this stream with `other` by key within windows: the function gets each key's records of
   * both streams in a window at once, either group possibly empty (outer joins, anti-joins).
   *
   * @example
   * ```ts
   * orders.coGroup(payments).where((o) => o.id).equalTo((p) => p.order).window(windows.tumbling({ hours: 1 }))
   *   .apply((id, os, ps, out: Collector<string>) => { if (ps.length === 0) out.collect(id); });
   * ```
   */
  coGroup<B>(other: Stream<B>): CoGroupedStreams<T, B> {
    if (!(other instanceof Stream)) throw errors.invalidGraph(this.graph.job, 'coGroup() needs another stream.');
    return new CoGroupedStreams<T, B>(this, other);
  }

  /**
   * The keys present in both streams within a window: when a window fires, each key that had
   * records of both streams in it gives one record, this stream's earliest of that key there.
   *
   * @example
   * ```ts
   * todayLogins.intersect(yesterdayLogins, { key: (l) => l.user, window: windows.tumbling({ days: 1 }) });
   * ```
   */
  intersect<K extends Key>(other: Stream<T>, options: SetOperationOptions<T, K>): DataStream<T> {
    return setOperation<T, K>('intersect', this, other, options);
  }

  /**
   * The keys of this stream absent from `other` within a window: when a window fires, each key that
   * had records of this stream but none of `other` in it gives this stream's earliest of that key.
   *
   * @example
   * ```ts
   * orders.except(payments, { key: (r) => r.order, window: windows.tumbling({ hours: 1 }) }); // both streams of one type
   * ```
   */
  except<K extends Key>(other: Stream<T>, options: SetOperationOptions<T, K>): DataStream<T> {
    return setOperation<T, K>('except', this, other, options);
  }
}

/** The records an operator emitted to one of its side outputs. Its settings are the operator's: it has none of its own. */
export class SideOutputStream<T> extends Stream<T> {}

/** A stream on its way to the next operator by `rebalance()` or `broadcast()`: it has no operator of its own to set. */
export class PartitionedStream<T> extends Stream<T> {}

/** The end of a pipeline; `uid`, `name` and `parallelism` apply to the sink. */
export class DataStreamSink {
  constructor(
    private readonly graph: LogicalGraph,
    private readonly node: LogicalNode,
  ) {}

  uid(id: string): this {
    configure(this.graph, this.node).uid(id);
    return this;
  }

  name(name: string): this {
    configure(this.graph, this.node).name(name);
    return this;
  }

  parallelism(n: number): this {
    configure(this.graph, this.node).parallelism(n);
    return this;
  }
}

/**
 * A stream partitioned by key (`keyBy`). Its operators keep state per key; each key's records
 * arrive at one subtask, in order per upstream subtask. It has no settings of its own: `uid`,
 * `name` and `parallelism` belong to the operator applied to it.
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
export class KeyedStream<T, K extends Key> extends Stream<T> {
  /**
   * Connects this keyed stream to another keyed by the same type of key: records with one key reach
   * one subtask whichever stream they come from, and share that key's state and timers.
   */
  connect<B>(other: KeyedStream<B, K>): KeyedConnectedStreams<T, B, K>;
  /**
   * Connects this keyed stream to a broadcast stream (`stream.broadcast(descriptor)`): the broadcast
   * state pattern. Every subtask gets every broadcast record; each keyed record goes to its key's.
   *
   * @example
   * ```ts
   * const limits = new BroadcastStateDescriptor<string, number>('limits');
   * trades.keyBy((t) => t.symbol).connect(limitStream.broadcast(limits)).process({
   *   processBroadcastElement(limit, ctx) { ctx.broadcastState(limits).put(limit.symbol, limit.max); },
   *   processElement(trade, ctx, out: Collector<string>) { if (trade.price > (ctx.broadcastState(limits).get(ctx.key) ?? Infinity)) out.collect(ctx.key); },
   * });
   * ```
   */
  connect<B>(rules: BroadcastStream<B>): KeyedBroadcastConnectedStreams<T, B, K>;
  connect<B>(other: KeyedStream<B, K> | BroadcastStream<B>): KeyedConnectedStreams<T, B, K> | KeyedBroadcastConnectedStreams<T, B, K> {
    if (other instanceof BroadcastStream) return new KeyedBroadcastConnectedStreams<T, B, K>(this, other);
    if (!(other instanceof KeyedStream)) throw errors.invalidGraph(this.graph.job, 'connect() of a keyed stream needs another keyed stream (call keyBy() on it first) or a broadcast stream (stream.broadcast(descriptor)).');
    return new KeyedConnectedStreams<T, B, K>(this, other);
  }

  /**
   * Cuts each key's records into windows: tumbling, sliding or session windows of event time (the
   * stream needs `withTimestamps` first) or processing time, the global window with a trigger, or
   * count windows. Then `reduce`, `aggregate` or `process` says what each window gives.
   *
   * @example
   * ```ts
   * bids.keyBy((b) => b.auction)
   *   .window(windows.tumbling({ seconds: 10 }))
   *   .aggregate({ create: () => 0, add: (n) => n + 1, result: (n, auction, w) => ({ auction, end: w.end, bids: n }) });
   * ```
   */
  window<A extends WindowAssigner<T>>(assigner: A): WindowedStream<T, K, WindowOf<A>> {
    const eventTime = typeof assigner === 'object' && assigner !== null && assigner.time === 'event' && ['tumbling', 'sliding', 'session'].includes(assigner.kind);
    if (eventTime && !this.graph.timed()[this.node.id]) {
      throw errors.invalidWindowing(
        'window()',
        `${assigner.kind} windows of event time need records with timestamps, and "${displayName(this.node)}" has none: call withTimestamps((r) => r.ts, { maxOutOfOrderMs }) before keyBy(), or use time: 'processing' in the assigner.`,
      );
    }
    return new WindowedStream<T, K, WindowOf<A>>(
      this.graph.job,
      { assigner },
      <O>(type: string, factory: KeyedOperatorFactory<unknown, O, Key>, functions: readonly Function[], describe: JsonValue) =>
        this.keyed<O>(type, factory as KeyedOperatorFactory<T, O, K>, functions, describe),
      (tag) => this.graph.useTag(tag),
    );
  }

  /** Rolling reduce: combines each record with the key's previous result and emits the new result. */
  reduce(fn: (accumulated: T, record: T) => T): DataStream<T> {
    return this.keyed('reduce', keyedReduceOperator(fn), [fn]);
  }

  /** Rolling aggregate: updates the key's accumulator and emits `result` for every record. */
  aggregate<A, R>(aggregation: Aggregation<T, A, R, K>): DataStream<R> {
    return this.keyed('aggregate', keyedAggregateOperator(aggregation), [aggregation.create, aggregation.add, aggregation.result]);
  }

  /**
   * A function per record, with the record's key (`ctx.key`) and, given `state` declarations, a
   * typed state handle for each (`ctx.state.name`) scoped to that key. The output type comes from
   * the type of `out` (`out: Collector<Alert>`), or an explicit `process<Alert>(...)`.
   *
   * @example
   * ```ts
   * words.keyBy((w) => w).process({
   *   state: { count: state.value(0) },
   *   process(word, ctx, out: Collector<{ word: string; count: number }>) {
   *     const count = ctx.state.count.value() + 1;
   *     ctx.state.count.update(count);
   *     out.collect({ word, count });
   *   },
   * });
   * ```
   */
  process<O>(fn: KeyedProcessFunction<T, K, {}, O>): DataStream<O>;
  process<O, D extends StateDeclarations>(definition: KeyedProcessDefinition<T, K, D, O>): DataStream<O>;
  process<O, D extends StateDeclarations>(definition: KeyedProcessFunction<T, K, {}, O> | KeyedProcessDefinition<T, K, D, O>): DataStream<O> {
    const full = (typeof definition === 'function' ? { state: {}, process: definition } : definition) as KeyedProcessDefinition<T, K, D, O>;
    if (typeof full !== 'object' || full === null || typeof full.process !== 'function') {
      throw errors.invalidGraph(this.graph.job, 'process() needs a function (record, ctx, out) => …, or { state, process }.');
    }
    const declared = Object.fromEntries(Object.entries(full.state ?? {}).map(([name, d]) => [name, d.kind]));
    return this.keyed('process', keyedProcessOperator(full), [full.process], declared);
  }

  /** Applies a user operator to the keyed stream: its context's `key` and `keyedState` work per key. */
  override transform<O>(name: string, factory: KeyedOperatorFactory<T, O, K>): DataStream<O> {
    return this.keyed(name, factory, [factory]).name(name);
  }

  /**
   * Joins this keyed stream with `other` (keyed by the same type of key) by time: each pair of
   * same-key records whose times are within the interval `between` gives, to `process`, one call.
   * Both streams need `withTimestamps`.
   *
   * @example
   * ```ts
   * orders.keyBy((o) => o.id).intervalJoin(shipments.keyBy((s) => s.order)).between(0, 3_600_000)
   *   .process((order, shipment, ctx, out: Collector<string>) => out.collect(order.id));
   * ```
   */
  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K> {
    if (!(other instanceof KeyedStream)) throw errors.invalidGraph(this.graph.job, 'intervalJoin() needs another keyed stream: call keyBy() on it first.');
    checkIntervalJoin(this, other);
    return new IntervalJoin<T, B, K>(this, other);
  }

  /**
   * Distinct by key: the first record of each key passes, later ones are dropped (one flag per key
   * kept for the whole run). With `{ window }`, per window instead: when a window fires, each key's
   * earliest record in it (by event time), and the window's state goes with it.
   *
   * @example
   * ```ts
   * logins.keyBy((l) => l.user).distinct();                                          // first login ever
   * logins.keyBy((l) => l.user).distinct({ window: windows.tumbling({ days: 1 }) }); // first login each day
   * ```
   */
  distinct(options: DistinctOptions<T> = {}): DataStream<T> {
    return distinctOf<T, K>(this, options);
  }

  private keyed<O>(type: string, factory: KeyedOperatorFactory<T, O, K>, functions: readonly Function[], describe: JsonValue = null): DataStream<O> {
    const selector = (this.partition as Extract<Partition, { type: 'hash' }>).selector;
    return this.attach(type, factory as unknown as KeyedOperatorFactory<T, O, Key>, functions, { keyedBy: selector, describe });
  }
}
