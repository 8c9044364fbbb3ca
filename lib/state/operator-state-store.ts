import { BroadcastStateBackend, type BroadcastStateSnapshot } from './broadcast-state-backend.ts';
import type { BroadcastStateDescriptor } from './broadcast-state-descriptor.ts';
import type { Key } from './key-groups.ts';
import { OperatorStateBackend, type OperatorStateSnapshot } from './operator-state-backend.ts';
import type { ListState, MapState } from './state-handles.ts';

/** One operator's state of one subtask that belongs to no key, as plain data. */
export interface OperatorStoreSnapshot {
  /** Lists per subtask: dealt out again when the parallelism changes (`OperatorStateBackend.redistribute`). */
  readonly lists: OperatorStateSnapshot;
  /** Broadcast maps: alike on every subtask (`BroadcastStateBackend.redistribute`). */
  readonly broadcast: BroadcastStateSnapshot;
}

/**
 * The state of an operator that belongs to its subtask rather than to a key (Flink's
 * `OperatorStateStore`), in every operator's context as `ctx.operatorState`: lists of this subtask
 * (a buffer, offsets read so far), and the broadcast maps that a broadcast process function keeps
 * alike on every subtask. Both are plain data in a snapshot.
 *
 * @example
 * ```ts
 * const buffered = (): Operator<Reading, Reading[]> => {
 *   let pending: ListState<Reading>;
 *   return {
 *     open(ctx) { pending = ctx.operatorState.list<Reading>('pending'); },
 *     process(r, out) { pending.add(r); if (pending.size >= 100) { out.collect(pending.get()); pending.clear(); } },
 *   };
 * };
 * ```
 */
export interface OperatorStateStore {
  /** This subtask's list `name`; asking twice gives handles on the same list. */
  list<T>(name: string): ListState<T>;
  /** The broadcast map `descriptor` names (written by a broadcast function only: see `BroadcastStream`). */
  broadcast<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): MapState<MK, V>;
}

/** The runtime's store: one per operator and subtask, which snapshots and restores both kinds of state. */
export class OperatorStore implements OperatorStateStore {
  readonly #lists = new OperatorStateBackend();
  readonly #broadcast = new BroadcastStateBackend();

  list<T>(name: string): ListState<T> {
    return this.#lists.list<T>(name);
  }

  broadcast<MK extends Key, V>(descriptor: BroadcastStateDescriptor<MK, V>): MapState<MK, V> {
    return this.#broadcast.map<MK, V>(descriptor.name);
  }

  snapshot(): OperatorStoreSnapshot {
    return { lists: this.#lists.snapshot(), broadcast: this.#broadcast.snapshot() };
  }

  restore(snapshot: OperatorStoreSnapshot): void {
    this.#lists.restore(snapshot.lists);
    this.#broadcast.restore(snapshot.broadcast);
  }
}
