/**
 * Declarations of keyed state: what kind of state, and of what type. A declaration is plain data;
 * weir turns it into a handle scoped to the current key (`ctx.keyedState(name, declaration)` in an
 * operator, or the `state` declarations of a keyed `process`), so the state's type is inferred
 * from the declaration.
 *
 * @example
 * ```ts
 * keyed.process({
 *   state: { count: state.value(0), last: state.value<string>() },
 *   process(word, ctx, out: Collector<string>) {
 *     ctx.state.count.update(ctx.state.count.value() + 1); // count: ValueState<number>
 *     ctx.state.last.update(word);                           // last: ValueState<string | undefined>
 *     out.collect(`${ctx.key}: ${ctx.state.count.value()}`);
 *   },
 * });
 * ```
 */

/** One value per key (Flink's `ValueState`), read and written for the current key. */
export interface ValueState<V> {
  /** The current key's value; the declared initial value (or undefined) when none was stored. */
  value(): V;
  update(value: V): void;
  /** Forgets the current key's value. */
  clear(): void;
}

/** A declared keyed state whose handle is `H`. Create them with `state.value(...)`. */
export interface StateDescriptor<H> {
  readonly kind: 'value';
  /** The value of a key that has none stored: a value, or a function making a fresh one per key. */
  readonly initial?: unknown;
  /** Type-only: the handle this declaration gives. */
  readonly __handle?: H;
}

/** Named state declarations, as a keyed `process` takes them. */
export type StateDeclarations = Readonly<Record<string, StateDescriptor<unknown>>>;

/** The handles of a set of declarations, by name. */
export type StateHandles<D extends StateDeclarations> = { readonly [N in keyof D]: D[N] extends StateDescriptor<infer H> ? H : never };

function value<V>(): StateDescriptor<ValueState<V | undefined>>;
function value<V>(initial: V | (() => V)): StateDescriptor<ValueState<V>>;
function value<V>(initial?: V | (() => V)): StateDescriptor<ValueState<V>> {
  return initial === undefined ? { kind: 'value' } : { kind: 'value', initial };
}

/**
 * Keyed state declarations. `state.value(initial)` keeps one value per key; an initial value that
 * is an object should be given as a function (`state.value(() => ({ n: 0 }))`), so that every key
 * starts from a fresh one.
 */
export const state = { value } as const;
