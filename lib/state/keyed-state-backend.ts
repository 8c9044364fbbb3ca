import { keyGroupRange } from './key-groups.ts';
import { KeyedValueState, type KeyedValueSnapshot } from './keyed-value-state.ts';

/** The keyed states of one subtask, by name. */
export class KeyedStateBackend {
  readonly #states = new Map<string, KeyedValueState<unknown>>();
  readonly #range: { start: number; end: number };

  constructor(
    subtaskIndex: number,
    parallelism: number,
    private readonly maxParallelism: number,
  ) {
    this.#range = keyGroupRange(subtaskIndex, parallelism, maxParallelism);
  }

  value<V>(name: string): KeyedValueState<V> {
    let state = this.#states.get(name);
    if (!state) this.#states.set(name, (state = new KeyedValueState<unknown>()));
    return state as KeyedValueState<V>;
  }

  /** Total number of keys across states (a metric). */
  get keyCount(): number {
    let n = 0;
    for (const state of this.#states.values()) n += state.size;
    return n;
  }

  snapshot(): Record<string, KeyedValueSnapshot<unknown>> {
    const out: Record<string, KeyedValueSnapshot<unknown>> = {};
    for (const [name, state] of this.#states) out[name] = state.snapshot(this.maxParallelism);
    return out;
  }

  restore(snapshot: Record<string, KeyedValueSnapshot<unknown>>): void {
    const { start, end } = this.#range;
    for (const [name, states] of Object.entries(snapshot)) {
      this.value(name).restore(states, (group) => group >= start && group < end);
    }
  }
}
