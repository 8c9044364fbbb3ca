import { errors } from '../errors.ts';
import type { Key } from './key-groups.ts';
import { ListStateHandle } from './plain-state-handles.ts';
import type { ListState } from './state-handles.ts';

/** Operator state as plain data: list name → the elements one subtask held, in order. */
export type OperatorStateSnapshot = Record<string, unknown[]>;

/**
 * The operator state of one subtask (Flink's operator `ListState`): state that belongs to the
 * subtask rather than to a key, such as a source's offsets or a sink's pending transactions. Each
 * state is a list, so that on rescaling its elements can be dealt out again: `redistribute` gives
 * each new subtask a contiguous, nearly equal share of all elements.
 *
 * @example
 * ```ts
 * const offsets = backend.list<number>('offsets');
 * offsets.update([41, 42]);
 * const snapshot = backend.snapshot(); // { offsets: [41, 42] }
 * ```
 */
export class OperatorStateBackend {
  /** Lists by name: the table a `ListStateHandle` bound to that name reads. */
  readonly #lists = new Map<Key, unknown>();

  /** The list `name` of this subtask; asking twice gives handles on the same list. */
  list<T>(name: string): ListState<T> {
    return new ListStateHandle<T>(this.#lists, { key: name });
  }

  /** Every list as a copy of its elements; empty lists are left out (an empty list and none read alike). */
  snapshot(): OperatorStateSnapshot {
    const out: OperatorStateSnapshot = {};
    for (const [name, list] of this.#lists) out[name] = (list as unknown[]).slice();
    return out;
  }

  /** Appends the elements of `snapshot` to the lists of the same names (see `redistribute` for what to pass). */
  restore(snapshot: OperatorStateSnapshot): void {
    for (const [name, elements] of Object.entries(snapshot)) this.list(name).addAll(elements);
  }

  /**
   * What subtask `subtask` of `parallelism` restores from the snapshots of every subtask of the
   * earlier run (in subtask order), as Flink's even-split redistribution: each list's elements of
   * all old subtasks are concatenated, and cut into `parallelism` contiguous parts whose lengths
   * differ by at most one (the first parts take the extra elements). Nothing is lost or repeated.
   */
  static redistribute(snapshots: readonly OperatorStateSnapshot[], subtask: number, parallelism: number): OperatorStateSnapshot {
    if (!Number.isInteger(parallelism) || parallelism < 1 || !Number.isInteger(subtask) || subtask < 0 || subtask >= parallelism) {
      throw errors.internal(`operator state redistributed to subtask ${subtask} of parallelism ${parallelism}`);
    }
    const all = new Map<string, unknown[]>();
    for (const snapshot of snapshots) {
      for (const [name, elements] of Object.entries(snapshot)) {
        const list = all.get(name);
        if (list === undefined) all.set(name, elements.slice());
        else for (const e of elements) list.push(e);
      }
    }
    const out: OperatorStateSnapshot = {};
    for (const [name, elements] of all) {
      const base = Math.floor(elements.length / parallelism);
      const extra = elements.length % parallelism;
      const start = subtask * base + Math.min(subtask, extra);
      const part = elements.slice(start, start + base + (subtask < extra ? 1 : 0));
      if (part.length > 0) out[name] = part;
    }
    return out;
  }
}
