import type { Key } from './key-groups.ts';

/**
 * A state an operator keeps in a structure of its own instead of the backend's table (the window
 * operator keeps one table per window, so that a window's keys fire in one sweep), seen by the
 * backend as a value state: one plain value per key, which snapshots write by key group, restores
 * put back and key listings show. Reading it costs what the operator's structure makes it cost: the
 * backend asks only when a snapshot is cut, keys are listed or counted.
 *
 * @example
 * ```ts
 * const byKey = new Map<Key, unknown>();
 * const view: KeyedValuesView = { keys: () => byKey.keys(), entries: () => byKey, restore: (k, v) => byKey.set(k, v), get size() { return byKey.size; } };
 * attachKeyedState(ctx, 'totals', view);
 * ```
 */
export interface KeyedValuesView {
  /** Every key holding a value, each once. */
  keys(): IterableIterator<Key>;
  /** Every key's value, plain data (a snapshot copies it). */
  entries(): Iterable<[Key, unknown]>;
  /** Puts back a key's value from a snapshot (of this subtask's key groups only). */
  restore(key: Key, value: unknown): void;
  /** What the `keys` metric adds for this state: keys held, or a bound on them the view can give cheaply. */
  readonly size: number;
}

/** The method of weir's keyed operator context that attaches a view (not part of the operator contract). */
export const ATTACH_KEYED_STATE = Symbol('weir.attachKeyedState');

/** A context that can attach a view: the keyed context weir gives an operator's `open`. */
export interface AttachesKeyedState {
  [ATTACH_KEYED_STATE](name: string, view: KeyedValuesView): void;
}

/**
 * Keyed state `name` of the operator whose context `ctx` is, kept in the operator's own structure
 * (see `KeyedValuesView`): for built-in operators whose state is not one value per key at heart
 * (the window operator's tables per window). A user's operator declares what it keeps with
 * `ctx.keyedState`.
 *
 * @example
 * ```ts
 * open(context) { attachKeyedState(context, 'windows', panes); }
 * ```
 */
export function attachKeyedState(ctx: object, name: string, view: KeyedValuesView): void {
  const attach = (ctx as Partial<AttachesKeyedState>)[ATTACH_KEYED_STATE];
  if (typeof attach !== 'function') throw new TypeError(`attachKeyedState("${name}") takes the context weir gave a keyed operator's open()`);
  attach.call(ctx, name, view);
}
