import type { Key } from './key-groups.ts';
import type { MapState } from './state-handles.ts';

/** Marks descriptors across copies of weir (see `BroadcastStateDescriptor[Symbol.hasInstance]`). */
const BRAND = Symbol.for('weir.BroadcastStateDescriptor');

/**
 * Names one map of broadcast state (Flink's `MapStateDescriptor` given to `broadcast`): a map from
 * keys (strings or numbers) to values, held alike by every subtask of the operator that reads the
 * broadcast stream. The type parameters carry the map's key and value types to
 * `ctx.broadcastState(descriptor)`.
 *
 * @example
 * ```ts
 * const rulesState = new BroadcastStateDescriptor<string, Rule>('rules');
 * const rules = ruleStream.broadcast(rulesState);
 * trades.keyBy((t) => t.symbol).connect(rules).process({
 *   processBroadcastElement(rule, ctx) { ctx.broadcastState(rulesState).put(rule.id, rule); },
 *   processElement(trade, ctx, out: Collector<Alert>) {
 *     for (const rule of ctx.broadcastState(rulesState).values()) if (trade.price > rule.limit) out.collect({ trade, rule: rule.id });
 *   },
 * });
 * ```
 */
export class BroadcastStateDescriptor<MK extends Key, V> {
  /** `instanceof` holds for descriptors of any copy of weir in the process (a job module run through tsx imports weir anew). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  declare readonly [BRAND]: true;
  /** Carries the type parameters for the type checker (a descriptor of other types is another type); never set. */
  declare readonly __types?: { readonly key: MK; readonly value: V };

  constructor(readonly name: string) {
    if (typeof name !== 'string' || name === '') throw new TypeError('new BroadcastStateDescriptor(name): the name is a non-empty string');
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * A map of broadcast state as the side that is not the broadcast input sees it (Flink's
 * `ReadOnlyBroadcastState`): it may read it, never change it, since a change on one subtask would
 * make the subtasks' copies differ. Values are the stored objects themselves: do not change them.
 */
export type ReadOnlyBroadcastState<MK extends Key, V> = Pick<MapState<MK, V>, 'get' | 'has' | 'entries' | 'keys' | 'values' | 'isEmpty'>;

/** The writes a read-only view refuses. */
const WRITES = ['put', 'remove', 'clear'] as const;

/**
 * A read-only view of `map`: reads go through; a write (possible from JavaScript or through a cast)
 * throws what `refuse` makes, instead of letting the subtasks' copies drift apart.
 */
export function readOnlyView<MK extends Key, V>(map: MapState<MK, V>, refuse: (write: string) => Error): ReadOnlyBroadcastState<MK, V> {
  const view: ReadOnlyBroadcastState<MK, V> & Record<string, unknown> = {
    get: (key) => map.get(key),
    has: (key) => map.has(key),
    entries: () => map.entries(),
    keys: () => map.keys(),
    values: () => map.values(),
    isEmpty: () => map.isEmpty(),
  };
  for (const write of WRITES) {
    view[write] = () => {
      throw refuse(write);
    };
  }
  return view;
}
