import type { Collector, KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { TimeDomain, TimerService } from '../lib/operator/timers.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { StateDeclarations, StateHandles } from '../lib/state/state-descriptors.ts';

/** What a keyed process function sees besides the record: its key, time, timers, declared states. */
export interface KeyedProcessContext<K extends Key, S> {
  /** The key of the current record (or timer). */
  readonly key: K;
  /** The handles of the declared states, each reading and writing the current key's value. */
  readonly state: S;
  /** The current record's event time (the timer's time in onTimer); NaN on a stream without timestamps. */
  readonly timestamp: number;
  /** The operator's current watermark. */
  readonly watermark: number;
  /** Event-time and processing-time timers of the current key; they call `onTimer`. */
  readonly timers: TimerService;
  /** Emits to a side output, read with `stream.sideOutput(tag)`. */
  output<T>(tag: OutputTag<T>, record: T): void;
}

/** What `onTimer` sees: the process context, and which kind of timer fired. */
export interface KeyedTimerContext<K extends Key, S> extends KeyedProcessContext<K, S> {
  readonly domain: TimeDomain;
}

/** A function per record of a keyed stream. */
export type KeyedProcessFunction<T, K extends Key, S, O> = (record: T, ctx: KeyedProcessContext<K, S>, out: Collector<O>) => void;

/**
 * A keyed process function with declared state and timers: `state` names each state and its
 * initial value, `ctx.state` has a typed handle for each, and `onTimer` is called for every timer
 * the function registered, with its key current.
 *
 * @example
 * ```ts
 * const quiet: KeyedProcessDefinition<Trade, string, { last: StateDescriptor<ValueState<number | undefined>> }, string> = {
 *   state: { last: state.value<number>() },
 *   process(trade, ctx) {
 *     ctx.state.last.update(ctx.timestamp);
 *     ctx.timers.registerEventTime(ctx.timestamp + 60_000);
 *   },
 *   onTimer(time, ctx, out) {
 *     if (ctx.state.last.value() === time - 60_000) out.collect(`${ctx.key} quiet for a minute`);
 *   },
 * };
 * ```
 */
export interface KeyedProcessDefinition<T, K extends Key, D extends StateDeclarations, O> {
  readonly state: D;
  process: KeyedProcessFunction<T, K, StateHandles<D>, O>;
  onTimer?(time: number, ctx: KeyedTimerContext<K, StateHandles<D>>, out: Collector<O>): void;
}

/**
 * One context object for every call: it reads key, time and watermark through to the operator's
 * context. Shared by the keyed functions with declared state (process, co-process, broadcast process).
 */
export class ProcessContext<K extends Key, S> implements KeyedTimerContext<K, S> {
  domain: TimeDomain = 'event';

  constructor(
    protected readonly ctx: KeyedOperatorContext<K>,
    readonly state: S,
  ) {}

  get key(): K {
    return this.ctx.key;
  }

  get timestamp(): number {
    return this.ctx.timestamp;
  }

  get watermark(): number {
    return this.ctx.watermark;
  }

  get timers(): TimerService {
    return this.ctx.timers;
  }

  output<R>(tag: OutputTag<R>, record: R): void {
    this.ctx.output(tag, record);
  }
}

/** Takes a handle on each declared state of the operator `ctx` belongs to, by its declared name. */
function stateHandles<K extends Key, D extends StateDeclarations>(ctx: KeyedOperatorContext<K>, declarations: D | undefined): StateHandles<D> {
  const handles: Record<string, unknown> = {};
  for (const [name, descriptor] of Object.entries(declarations ?? {})) handles[name] = ctx.keyedState(name, descriptor);
  return handles as StateHandles<D>;
}

/**
 * What every keyed function with declared state does alike (process, co-process, broadcast
 * process): `open` takes the state handles and makes the one context object every call gets;
 * `onTimer` sets the timer's domain on it and calls the user's `onTimer`. The operators differ
 * only in which user function a record goes to.
 */
export class KeyedFunctionHooks<K extends Key, D extends StateDeclarations, C extends ProcessContext<K, StateHandles<D>>, O> {
  /** The context of every call; set by `open`. */
  context!: C;

  constructor(
    private readonly declarations: D | undefined,
    private readonly userOnTimer: ((time: number, ctx: C, out: Collector<O>) => void) | undefined,
    private readonly make: (ctx: KeyedOperatorContext<K>, state: StateHandles<D>) => C,
  ) {}

  open(ctx: KeyedOperatorContext<K>): void {
    this.context = this.make(ctx, stateHandles(ctx, this.declarations));
  }

  onTimer(time: number, domain: TimeDomain, out: Collector<O>): void {
    this.context.domain = domain;
    this.userOnTimer?.(time, this.context, out);
  }
}

/** `KeyedStream.process`: a user function per record with the key, its declared states and timers. */
export const keyedProcessOperator =
  <T, K extends Key, D extends StateDeclarations, O>(definition: KeyedProcessDefinition<T, K, D, O>): KeyedOperatorFactory<T, O, K> =>
  () => {
    const hooks = new KeyedFunctionHooks<K, D, ProcessContext<K, StateHandles<D>>, O>(definition.state, definition.onTimer, (ctx, state) => new ProcessContext(ctx, state));
    const fn = definition.process;
    return {
      open: (ctx) => hooks.open(ctx),
      process: (record, out) => fn(record, hooks.context, out),
      onTimer: (time, domain, out) => hooks.onTimer(time, domain, out),
    };
  };
