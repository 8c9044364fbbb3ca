import { broadcastProcessOperator, keyedBroadcastProcessOperator, type BroadcastProcessDefinition, type KeyedBroadcastProcessDefinition } from '../../actors/broadcast-process.ts';
import { errors } from '../errors.ts';
import { BroadcastStateDescriptor } from '../state/broadcast-state-descriptor.ts';
import type { Key } from '../state/key-groups.ts';
import type { StateDeclarations } from '../state/state-descriptors.ts';
import { attachTwoInput, checkFunctions, describeStates } from './connected-streams.ts';
import { POSITION, type DataStream, type Stream } from './data-stream.ts';

/** Marks broadcast streams across copies of weir. */
const BRAND = Symbol.for('weir.BroadcastStream');

/**
 * A stream broadcast with state (`stream.broadcast(descriptor, …)`): every record reaches every
 * subtask of the operator it is connected to, which keeps the broadcast maps the descriptors name,
 * identical on every subtask. It is only connected: `keyed.connect(rules)` or `stream.connect(rules)`.
 *
 * @example
 * ```ts
 * const limits = new BroadcastStateDescriptor<string, number>('limits');
 * const rules = limitStream.broadcast(limits);
 * trades.keyBy((t) => t.symbol).connect(rules).process({ … });
 * ```
 */
export class BroadcastStream<T> {
  /** `instanceof` holds for broadcast streams of any copy of weir in the process (see `BroadcastStateDescriptor`). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  declare readonly [BRAND]: true;
  /** The maps every subtask of the connected operator keeps, by name. */
  readonly descriptors: readonly BroadcastStateDescriptor<Key, unknown>[];

  /** Made by `Stream.broadcast(...descriptors)`; `stream` is the records partitioned to every subtask. */
  constructor(
    readonly stream: Stream<T>,
    descriptors: readonly BroadcastStateDescriptor<Key, unknown>[],
  ) {
    const { job } = stream[POSITION]().graph;
    const names = new Set<string>();
    for (const d of descriptors) {
      if (!(d instanceof BroadcastStateDescriptor)) throw errors.invalidGraph(job, 'broadcast(...descriptors): each descriptor is a new BroadcastStateDescriptor<K, V>(name).');
      if (names.has(d.name)) throw errors.invalidGraph(job, `broadcast(...descriptors): two descriptors are named "${d.name}"; give each map its own name.`);
      names.add(d.name);
    }
    this.descriptors = descriptors.slice();
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Shown in the graph (and its fingerprint): the maps the operator keeps. */
const describeMaps = (descriptors: readonly BroadcastStateDescriptor<Key, unknown>[]): string[] => descriptors.map((d) => d.name);

/**
 * A keyed stream connected to a broadcast stream (`keyed.connect(rules)`): the broadcast state
 * pattern. Each broadcast record reaches every subtask; each keyed record the subtask of its key.
 *
 * @example
 * ```ts
 * trades.keyBy((t) => t.symbol).connect(limitStream.broadcast(limits)).process({
 *   processBroadcastElement(limit, ctx) { ctx.broadcastState(limits).put(limit.symbol, limit.max); },
 *   processElement(trade, ctx, out: Collector<string>) {
 *     if (trade.price > (ctx.broadcastState(limits).get(ctx.key) ?? Infinity)) out.collect(trade.id);
 *   },
 * });
 * ```
 */
export class KeyedBroadcastConnectedStreams<T, R, K extends Key> {
  constructor(
    private readonly keyed: Stream<T>,
    private readonly rules: BroadcastStream<R>,
  ) {}

  /**
   * A keyed broadcast process function. `processBroadcastElement` runs on every subtask for every
   * broadcast record, in the order that subtask receives them; it writes the broadcast state
   * (`ctx.broadcastState(descriptor).put/remove`) and may change every key's state
   * (`ctx.applyToKeyedState((key, state) => …)`). `processElement` runs for each keyed record with
   * its key, declared state, timers and side outputs, and reads the broadcast state only (a write
   * throws). Broadcast and keyed records come by different inputs, so which comes first is not
   * decided: let the keyed side wait (a timer at the record's time, the watermark) where order
   * matters. The output type comes from `out: Collector<O>`.
   *
   * @example
   * ```ts
   * const limits = new BroadcastStateDescriptor<string, number>('limits');
   * trades.keyBy((t) => t.symbol).connect(limitStream.broadcast(limits)).process({
   *   state: { last: state.value<number>() },
   *   processBroadcastElement(limit, ctx) { ctx.broadcastState(limits).put(limit.symbol, limit.max); },
   *   processElement(trade, ctx, out: Collector<string>) {
   *     ctx.state.last.update(trade.price);
   *     const max = ctx.broadcastState(limits).get(ctx.key);
   *     if (max !== undefined && trade.price > max) out.collect(`${ctx.key} at ${trade.price} > ${max}`);
   *   },
   * });
   * ```
   */
  process<O, D extends StateDeclarations = {}>(definition: KeyedBroadcastProcessDefinition<T, R, K, D, O>): DataStream<O> {
    const graph = this.keyed[POSITION]().graph;
    const functions = checkFunctions(graph, 'connect(broadcastStream).process()', definition, ['processElement', 'processBroadcastElement'], ['onTimer']);
    return attachTwoInput<O>(
      this.keyed as Stream<unknown>,
      this.rules.stream as Stream<unknown>,
      {
        type: 'broadcastProcess',
        factory: keyedBroadcastProcessOperator(definition, this.rules.descriptors),
        functions,
        describe: { state: describeStates(definition.state), broadcast: describeMaps(this.rules.descriptors) },
      },
      true,
    );
  }
}

/**
 * A stream that is not keyed connected to a broadcast stream (`stream.connect(rules)`).
 *
 * @example
 * ```ts
 * const stop = new BroadcastStateDescriptor<string, true>('stop-words');
 * words.connect(stopWords.broadcast(stop)).process({
 *   processBroadcastElement(word, ctx) { ctx.broadcastState(stop).put(word, true); },
 *   processElement(word, ctx, out: Collector<string>) { if (!ctx.broadcastState(stop).has(word)) out.collect(word); },
 * });
 * ```
 */
export class BroadcastConnectedStreams<T, R> {
  constructor(
    private readonly first: Stream<T>,
    private readonly rules: BroadcastStream<R>,
  ) {}

  /**
   * A broadcast process function: `processBroadcastElement` on every subtask for every broadcast
   * record, writing the broadcast state; `processElement` for each record of this stream, reading
   * it only. No keyed state or timers: key the stream first for those.
   *
   * @example
   * ```ts
   * words.connect(stopWords.broadcast(stop)).process({
   *   processBroadcastElement(word, ctx) { ctx.broadcastState(stop).put(word, true); },
   *   processElement(word, ctx, out: Collector<string>) { if (!ctx.broadcastState(stop).has(word)) out.collect(word); },
   * });
   * ```
   */
  process<O>(definition: BroadcastProcessDefinition<T, R, O>): DataStream<O> {
    const graph = this.first[POSITION]().graph;
    const functions = checkFunctions(graph, 'connect(broadcastStream).process()', definition, ['processElement', 'processBroadcastElement']);
    if (typeof (definition as { onTimer?: unknown }).onTimer === 'function' || 'state' in definition) {
      throw errors.invalidGraph(graph.job, 'connect(broadcastStream).process(): timers and keyed state need a key; key the stream first (stream.keyBy(k).connect(rules)).');
    }
    return attachTwoInput<O>(
      this.first as Stream<unknown>,
      this.rules.stream as Stream<unknown>,
      { type: 'broadcastProcess', factory: broadcastProcessOperator(definition, this.rules.descriptors), functions, describe: { broadcast: describeMaps(this.rules.descriptors) } },
      false,
    );
  }
}
