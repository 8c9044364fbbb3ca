/**
 * Declarations of keyed state: what kind of state, of what type, and for how long an entry lives.
 * A declaration is data; weir turns it into a handle scoped to the current key
 * (`ctx.keyedState(name, declaration)` in an operator, or the `state` declarations of a keyed
 * `process`), so the handle's type is inferred from the declaration.
 *
 * @example
 * ```ts
 * keyed.process({
 *   state: {
 *     count: state.value(0),                                  // ValueState<number>
 *     last: state.value<string>(),                            // ValueState<string | undefined>
 *     seen: state.map<string, number>({ ttl: { ms: 60_000 } }), // MapState<string, number>, entries forgotten after a minute
 *   },
 *   process(word, ctx, out: Collector<string>) {
 *     ctx.state.count.update(ctx.state.count.value() + 1);
 *     ctx.state.seen.put(word, (ctx.state.seen.get(word) ?? 0) + 1);
 *     out.collect(`${ctx.key}: ${ctx.state.count.value()}`);
 *   },
 * });
 * ```
 */
import { errors } from '../errors.ts';
import type { Key } from './key-groups.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-handles.ts';

export type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-handles.ts';

/**
 * How long an entry of a state lives (Flink's `StateTtlConfig`): `ms` after its last write (or its
 * last read or write, with `update: 'onReadAndWrite'`), measured in processing time (the runtime's
 * clock, the default) or in event time (the operator's watermark). An expired entry is invisible at
 * once and its memory is reclaimed in the background. It applies per key for value, reducing and
 * aggregating state, per element for list state and per entry for map state.
 *
 * @example
 * ```ts
 * state.map<string, Session>({ ttl: { ms: 30 * 60_000, update: 'onReadAndWrite' } }); // idle sessions go after 30 minutes
 * state.value<number>(undefined, { ttl: { ms: 3_600_000, time: 'event' } });          // an hour of event time
 * ```
 */
export interface Ttl {
  /** Lifetime in milliseconds: a positive finite number. */
  readonly ms: number;
  /** The time line the lifetime is measured on; default `'processing'`. */
  readonly time?: 'processing' | 'event';
  /** What renews an entry's life; default `'onWrite'`. */
  readonly update?: 'onWrite' | 'onReadAndWrite';
}

/** A `Ttl` with its defaults filled in. */
export type TtlSettings = Readonly<Required<Ttl>>;

/** The last, optional argument of every declaration. */
export interface StateOptions {
  readonly ttl?: Ttl;
}

/** Flink's AggregateFunction, as `state.aggregating` takes it: an accumulator made, fed and read. */
export interface AggregateFunctions<T, A, R> {
  create(): A;
  add(accumulator: A, value: T): A;
  result(accumulator: A): R;
}

/** The kinds of keyed state. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** What a declaration holds, by kind; functions are the user's, called on the subtask's thread. */
export type Declaration =
  | { readonly kind: 'value'; readonly ttl?: TtlSettings; readonly initial?: unknown }
  | { readonly kind: 'list'; readonly ttl?: TtlSettings }
  | { readonly kind: 'map'; readonly ttl?: TtlSettings }
  | { readonly kind: 'reducing'; readonly ttl?: TtlSettings; readonly reduce: (a: unknown, b: unknown) => unknown }
  | { readonly kind: 'aggregating'; readonly ttl?: TtlSettings; readonly aggregate: AggregateFunctions<unknown, unknown, unknown> };

/** A declared keyed state whose handle is `H`. Create them with `state.value(...)`, `state.list(...)`, … */
export type StateDescriptor<H> = Declaration & {
  /** Type-only: the handle this declaration gives. */
  readonly __handle?: H;
};

/** Named state declarations, as a keyed `process` takes them. */
export type StateDeclarations = Readonly<Record<string, StateDescriptor<unknown>>>;

/** The handles of a set of declarations, by name. */
export type StateHandles<D extends StateDeclarations> = { readonly [N in keyof D]: D[N] extends StateDescriptor<infer H> ? H : never };

const TIMES = ['processing', 'event'] as const;
const UPDATES = ['onWrite', 'onReadAndWrite'] as const;

/** Checks a declaration's options once, where it is written, so a mistake fails at its call site. */
function ttlOf(declaration: string, options: StateOptions | undefined): TtlSettings | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw errors.invalidStateOption(declaration, 'options', options, 'an object, e.g. { ttl: { ms: 60_000 } }');
  for (const name of Object.keys(options)) if (name !== 'ttl') throw errors.unknownStateOption(declaration, name, ['ttl']);
  const ttl = options.ttl;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'object' || ttl === null) throw errors.invalidStateOption(declaration, 'ttl', ttl, 'an object, e.g. { ms: 60_000 }');
  for (const name of Object.keys(ttl)) if (name !== 'ms' && name !== 'time' && name !== 'update') throw errors.unknownStateOption(declaration, `ttl.${name}`, ['ms', 'time', 'update']);
  const { ms, time = 'processing', update = 'onWrite' } = ttl;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw errors.invalidStateOption(declaration, 'ttl.ms', ms, 'a positive finite number of milliseconds');
  if (!TIMES.includes(time)) throw errors.invalidStateOption(declaration, 'ttl.time', time, `${TIMES.map((t) => `'${t}'`).join(' or ')}`);
  if (!UPDATES.includes(update)) throw errors.invalidStateOption(declaration, 'ttl.update', update, `${UPDATES.map((u) => `'${u}'`).join(' or ')}`);
  return { ms, time, update };
}

/** `{ kind }`, with `ttl` only when there is one: declarations stay small plain objects. */
const declare = <D extends Declaration>(declaration: D, ttl: TtlSettings | undefined): D => (ttl === undefined ? declaration : { ...declaration, ttl });

function value<V>(): StateDescriptor<ValueState<V | undefined>>;
function value<V>(initial: undefined, options: StateOptions): StateDescriptor<ValueState<V | undefined>>;
function value<V>(initial: V | (() => V), options?: StateOptions): StateDescriptor<ValueState<V>>;
function value<V>(initial?: V | (() => V), options?: StateOptions): StateDescriptor<ValueState<V>> {
  const ttl = ttlOf('state.value()', options);
  return declare(initial === undefined ? { kind: 'value' } : { kind: 'value', initial }, ttl);
}

function list<T>(options?: StateOptions): StateDescriptor<ListState<T>> {
  return declare({ kind: 'list' }, ttlOf('state.list()', options));
}

function map<MK extends Key, V>(options?: StateOptions): StateDescriptor<MapState<MK, V>> {
  return declare({ kind: 'map' }, ttlOf('state.map()', options));
}

function reducing<T>(reduce: (a: T, b: T) => T, options?: StateOptions): StateDescriptor<ReducingState<T>> {
  if (typeof reduce !== 'function') throw errors.stateFunctionMissing('state.reducing()', 'a function (a, b) => … that combines two values into one', reduce);
  return declare({ kind: 'reducing', reduce: reduce as (a: unknown, b: unknown) => unknown }, ttlOf('state.reducing()', options));
}

function aggregating<T, A, R>(aggregate: AggregateFunctions<T, A, R>, options?: StateOptions): StateDescriptor<AggregatingState<T, R>> {
  const declaration = 'state.aggregating()';
  if (typeof aggregate !== 'object' || aggregate === null) throw errors.stateFunctionMissing(declaration, '{ create, add, result }', aggregate);
  for (const fn of ['create', 'add', 'result'] as const) {
    if (typeof aggregate[fn] !== 'function') throw errors.stateFunctionMissing(declaration, `a function \`${fn}\` in { create, add, result }`, aggregate[fn]);
  }
  return declare({ kind: 'aggregating', aggregate: aggregate as AggregateFunctions<unknown, unknown, unknown> }, ttlOf(declaration, options));
}

/** How an error names a declaration: `list state`, `map state with a ttl of 60000 ms of processing time`. */
export function describeDeclaration(kind: StateKind, ttl: TtlSettings | undefined): string {
  if (ttl === undefined) return `${kind} state`;
  return `${kind} state with a ttl of ${ttl.ms} ms of ${ttl.time} time${ttl.update === 'onReadAndWrite' ? ', renewed on reads' : ''}`;
}

/**
 * Keyed state declarations, each with an optional last argument `{ ttl }` (see `Ttl`):
 * - `state.value(initial?)`: one value per key; an initial value that is an object should be given
 *   as a function (`state.value(() => ({ n: 0 }))`), so that every key starts from a fresh one. For
 *   no initial value and a ttl, write `state.value<T>(undefined, { ttl })`.
 * - `state.list<T>()`: a list per key.
 * - `state.map<MK, V>()`: a map per key, with string or number keys.
 * - `state.reducing(fn)`: a value per key folded by `fn` from everything added.
 * - `state.aggregating({ create, add, result })`: an accumulator per key, read through `result`.
 *
 * @example
 * ```ts
 * const last = state.value<number>(undefined, { ttl: { ms: 60_000, time: 'event' } });
 * const prices = state.list<number>();
 * const total = state.reducing((a: number, b: number) => a + b);
 * ```
 */
export const state = { value, list, map, reducing, aggregating } as const;
