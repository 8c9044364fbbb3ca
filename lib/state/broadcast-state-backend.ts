import { errors } from '../errors.ts';
import type { Key } from './key-groups.ts';
import { decodeKey, encodeKey, type SnapshotKey } from './keyed-state-snapshot.ts';
import { MapStateHandle } from './plain-state-handles.ts';
import type { MapState } from './state-handles.ts';

/** Broadcast state as plain data: map name → its `[key, value]` entries (keys JSON cannot write as in `SnapshotKey`). */
export type BroadcastStateSnapshot = Record<string, [SnapshotKey, unknown][]>;

/**
 * The broadcast state of one subtask (Flink's `BroadcastState`): maps that every subtask of the
 * operator holds alike, because the runtime feeds every subtask the same broadcast records in the
 * same order and the operator updates the maps only from those. Rules, thresholds, a reference
 * table. Being identical, the state of any one subtask restores every subtask of a later run.
 *
 * @example
 * ```ts
 * const rules = backend.map<string, Rule>('rules');
 * rules.put(rule.id, rule);        // on a broadcast record, on every subtask
 * rules.get(trade.rule);           // on a record of the other input
 * ```
 */
export class BroadcastStateBackend {
  /** Maps by name: the table a `MapStateHandle` bound to that name reads. */
  readonly #maps = new Map<Key, unknown>();

  /** The map `name`; asking twice gives handles on the same map. */
  map<MK extends Key, V>(name: string): MapState<MK, V> {
    return new MapStateHandle<MK, V>(this.#maps, { key: name });
  }

  /** Every map as a copy of its entries. */
  snapshot(): BroadcastStateSnapshot {
    const out: BroadcastStateSnapshot = {};
    for (const [name, map] of this.#maps) out[name] = [...(map as Map<Key, unknown>)].map(([k, v]) => [encodeKey(k), v]);
    return out;
  }

  /** Puts the entries of `snapshot` into the maps of the same names. */
  restore(snapshot: BroadcastStateSnapshot): void {
    for (const [name, entries] of Object.entries(snapshot)) {
      const map = this.map<Key, unknown>(name);
      for (const [k, v] of entries) map.put(decodeKey(k), v);
    }
  }

  /**
   * What subtask `subtask` of `parallelism` restores from the snapshots of the earlier run's
   * subtasks: one of them, whole (they are identical). Subtask i takes old subtask i mod p's, as
   * Flink does, which spreads the reading of snapshots over the old ones instead of all reading one.
   */
  static redistribute(snapshots: readonly BroadcastStateSnapshot[], subtask: number, parallelism: number): BroadcastStateSnapshot {
    if (!Number.isInteger(parallelism) || parallelism < 1 || !Number.isInteger(subtask) || subtask < 0 || subtask >= parallelism) {
      throw errors.internal(`broadcast state redistributed to subtask ${subtask} of parallelism ${parallelism}`);
    }
    return snapshots.length === 0 ? {} : snapshots[subtask % snapshots.length]!;
  }
}
