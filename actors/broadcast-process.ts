import { errors, type SubtaskLocation } from '../lib/errors.ts';
import type { Collector, KeyedOperatorContext, OperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import { readOnlyView, type BroadcastStateDescriptor, type ReadOnlyBroadcastState } from '../lib/state/broadcast-state-descriptor.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { StateDeclarations, StateHandles } from '../lib/state/state-descriptors.ts';
import type { MapState } from '../lib/state/state-handles.ts';
import { KeyedFunctionHooks, ProcessContext, type KeyedProcessContext, type KeyedTimerContext } from './keyed-process.ts';

/** Reading broadcast state, as the side of the other input may. */
export interface ReadsBroadcastState {
  /** The broadcast map `descriptor` names (one the broadcast stream declared), read-only. */
  broadcastState<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): ReadOnlyBroadcastState<MK, V>;
}

/** What a broadcast record's function sees: time, side outputs, and the broadcast maps to write. */
export interface BroadcastRuleContext {
  /** The broadcast record's event time; NaN on a stream without timestamps. */
  readonly timestamp: number;
  readonly watermark: number;
  currentProcessingTime(): number;
  output<T>(tag: OutputTag<T>, record: T): void;
  /** The broadcast map `descriptor` names (one the broadcast stream declared), to read and write. */
  broadcastState<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): MapState<MK, V>;
}

/** What the other input's function sees on streams that are not keyed: time, side outputs, broadcast state read-only. */
export interface BroadcastElementContext extends Omit<BroadcastRuleContext, 'broadcastState'>, ReadsBroadcastState {}

/** A broadcast record's function on a keyed stream: besides the broadcast maps, every key's declared state. */
export interface KeyedBroadcastRuleContext<K extends Key, S> extends BroadcastRuleContext {
  /** Calls `fn` for every key of this subtask that holds state, with that key's state handles (Flink's `applyToKeyedState`). */
  applyToKeyedState(fn: (key: K, state: S) => void): void;
}

/** A keyed record's function: the keyed process function's context, and the broadcast maps read-only. */
export interface KeyedBroadcastElementContext<K extends Key, S> extends KeyedProcessContext<K, S>, ReadsBroadcastState {}

/** `onTimer` of a keyed broadcast process function. */
export interface KeyedBroadcastTimerContext<K extends Key, S> extends KeyedTimerContext<K, S>, ReadsBroadcastState {}

/**
 * A keyed broadcast process function (Flink's `KeyedBroadcastProcessFunction`): `processBroadcastElement`
 * runs on every subtask for every broadcast record and may change the broadcast state (and every
 * key's state through `applyToKeyedState`); `processElement` runs for the keyed records, with
 * their key's declared state and timers, and reads the broadcast state only.
 *
 * @example
 * ```ts
 * const limits = new BroadcastStateDescriptor<string, number>('limits');
 * const alerts: KeyedBroadcastProcessDefinition<Trade, Limit, string, {}, string> = {
 *   processBroadcastElement(limit, ctx) { ctx.broadcastState(limits).put(limit.symbol, limit.max); },
 *   processElement(trade, ctx, out) {
 *     const max = ctx.broadcastState(limits).get(ctx.key);
 *     if (max !== undefined && trade.price > max) out.collect(`${ctx.key} above ${max}`);
 *   },
 * };
 * ```
 */
export interface KeyedBroadcastProcessDefinition<T, R, K extends Key, D extends StateDeclarations, O> {
  /** The states of each key, by name; none when absent. */
  readonly state?: D;
  processElement(record: T, ctx: KeyedBroadcastElementContext<K, StateHandles<D>>, out: Collector<O>): void;
  processBroadcastElement(record: R, ctx: KeyedBroadcastRuleContext<K, StateHandles<D>>, out: Collector<O>): void;
  onTimer?(time: number, ctx: KeyedBroadcastTimerContext<K, StateHandles<D>>, out: Collector<O>): void;
}

/**
 * A broadcast process function of a stream that is not keyed (Flink's `BroadcastProcessFunction`).
 *
 * @example
 * ```ts
 * const words = new BroadcastStateDescriptor<string, true>('stop-words');
 * const filter: BroadcastProcessDefinition<string, string, string> = {
 *   processBroadcastElement(word, ctx) { ctx.broadcastState(words).put(word, true); },
 *   processElement(word, ctx, out) { if (!ctx.broadcastState(words).has(word)) out.collect(word); },
 * };
 * ```
 */
export interface BroadcastProcessDefinition<T, R, O> {
  processElement(record: T, ctx: BroadcastElementContext, out: Collector<O>): void;
  processBroadcastElement(record: R, ctx: BroadcastRuleContext, out: Collector<O>): void;
}

/** The broadcast maps of one operator: those its broadcast stream declared, each writable and read-only. */
class BroadcastMaps {
  readonly #maps = new Map<string, { readonly write: MapState<Key, unknown>; readonly read: ReadOnlyBroadcastState<Key, unknown> }>();
  readonly #at: SubtaskLocation;

  constructor(ctx: OperatorContext, descriptors: readonly BroadcastStateDescriptor<Key, unknown>[]) {
    const at = { job: ctx.job, operator: ctx.operator, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism };
    this.#at = at;
    for (const descriptor of descriptors) {
      const write = ctx.operatorState.broadcast(descriptor);
      this.#maps.set(descriptor.name, { write, read: readOnlyView(write, (call) => errors.broadcastStateReadOnly(at, descriptor.name, call)) });
    }
  }

  get(descriptor: BroadcastStateDescriptor<Key, unknown>): { readonly write: MapState<Key, unknown>; readonly read: ReadOnlyBroadcastState<Key, unknown> } {
    const maps = this.#maps.get(descriptor?.name);
    if (!maps) throw errors.broadcastStateUndeclared(this.#at, String(descriptor?.name), [...this.#maps.keys()]);
    return maps;
  }
}

/** The context of a broadcast record's function: reads time through to the operator's context. */
class RuleContext implements BroadcastRuleContext {
  constructor(
    protected readonly ctx: OperatorContext,
    protected readonly maps: BroadcastMaps,
  ) {}

  get timestamp(): number {
    return this.ctx.timestamp;
  }

  get watermark(): number {
    return this.ctx.watermark;
  }

  currentProcessingTime(): number {
    return this.ctx.currentProcessingTime();
  }

  output<R>(tag: OutputTag<R>, record: R): void {
    this.ctx.output(tag, record);
  }

  broadcastState<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): MapState<MK, V> {
    return this.maps.get(descriptor).write as MapState<MK, V>;
  }
}

/** The same time and outputs, the broadcast maps read-only: the other input's context on a stream that is not keyed. */
class ElementContext extends RuleContext {
  override broadcastState<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): MapState<MK, V> {
    // Typed read-only at the surface (BroadcastElementContext); the writes of the view throw for callers a cast let through.
    return this.maps.get(descriptor).read as unknown as MapState<MK, V>;
  }
}

class KeyedRuleContext<K extends Key, S> extends RuleContext implements KeyedBroadcastRuleContext<K, S> {
  constructor(
    private readonly keyed: KeyedOperatorContext<K>,
    maps: BroadcastMaps,
    private readonly state: S,
  ) {
    super(keyed, maps);
  }

  applyToKeyedState(fn: (key: K, state: S) => void): void {
    // The iteration makes each key current in turn, so the handles read and write that key's state.
    for (const key of this.keyed.keys()) fn(key, this.state);
  }
}

class KeyedElementContext<K extends Key, S> extends ProcessContext<K, S> implements KeyedBroadcastTimerContext<K, S> {
  constructor(
    ctx: KeyedOperatorContext<K>,
    state: S,
    private readonly maps: BroadcastMaps,
  ) {
    super(ctx, state);
  }

  broadcastState<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): ReadOnlyBroadcastState<MK, V> {
    return this.maps.get(descriptor).read as ReadOnlyBroadcastState<MK, V>;
  }
}

type Descriptors = readonly BroadcastStateDescriptor<Key, unknown>[];

/** `keyed.connect(broadcastStream).process`: keyed records on the first input, broadcast records on the second. */
export const keyedBroadcastProcessOperator =
  <T, R, K extends Key, D extends StateDeclarations, O>(
    definition: KeyedBroadcastProcessDefinition<T, R, K, D, O>,
    descriptors: Descriptors,
  ): TwoInputOperatorFactory<T, R, O, KeyedOperatorContext<K>> =>
  () => {
    let rules: KeyedRuleContext<K, StateHandles<D>>;
    const hooks = new KeyedFunctionHooks<K, D, KeyedElementContext<K, StateHandles<D>>, O>(definition.state, definition.onTimer, (ctx, state) => {
      const maps = new BroadcastMaps(ctx, descriptors);
      rules = new KeyedRuleContext(ctx, maps, state);
      return new KeyedElementContext(ctx, state, maps);
    });
    const { processElement, processBroadcastElement } = definition;
    return {
      open: (ctx) => hooks.open(ctx),
      process1: (record, out) => processElement(record, hooks.context, out),
      process2: (record, out) => processBroadcastElement(record, rules, out),
      onTimer: (time, domain, out) => hooks.onTimer(time, domain, out),
    };
  };

/** `stream.connect(broadcastStream).process`: records on the first input, broadcast records on the second. */
export const broadcastProcessOperator =
  <T, R, O>(definition: BroadcastProcessDefinition<T, R, O>, descriptors: Descriptors): TwoInputOperatorFactory<T, R, O, OperatorContext> =>
  () => {
    let elements: ElementContext;
    let rules: RuleContext;
    const { processElement, processBroadcastElement } = definition;
    return {
      open(ctx) {
        const maps = new BroadcastMaps(ctx, descriptors);
        elements = new ElementContext(ctx, maps);
        rules = new RuleContext(ctx, maps);
      },
      process1: (record, out) => processElement(record, elements, out),
      process2: (record, out) => processBroadcastElement(record, rules, out),
    };
  };
