import type { Key } from '../state/key-groups.ts';
import type { KeyedValueState } from '../state/keyed-value-state.ts';

/**
 * Receives the records an operator emits. Inside a chain it is the next operator's `process`;
 * at the end of an actor it is the partitioner that fills outgoing batches.
 *
 * @example
 * ```ts
 * const splitWords: Operator<string, string> = {
 *   process(line, out) { for (const w of line.split(' ')) out.collect(w); },
 * };
 * ```
 */
export interface Collector<T> {
  collect(record: T): void;
}

/** What an operator instance knows about where it runs, and its access to keyed state. */
export interface OperatorContext {
  readonly job: string;
  readonly operator: string;
  /** Zero-based index of this parallel instance (subtask). */
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Parameters the job was started with (JSON). */
  readonly params: unknown;
  /**
   * The key of a record, for operators applied to a keyed stream (the stream's `keyBy` function).
   * Throws on a stream that is not keyed.
   */
  keyOf(record: unknown): Key;
  /** A named value state with one value per key, owned by this subtask. */
  keyedValueState<V>(name: string): KeyedValueState<V>;
}

/**
 * The operator contract: lifecycle hooks with defaults; only `process` is required. Built-in
 * operators in `actors/` are written against this same contract, and `DataStream.transform`
 * accepts user operators.
 *
 * Hooks run on the worker thread that hosts the subtask. A hook that throws fails the subtask
 * with an error naming the operator, the subtask and the record.
 *
 * @example
 * ```ts
 * const runningCount = (): Operator<string, { word: string; n: number }> => {
 *   let counts: KeyedValueState<number>;
 *   return {
 *     open(ctx) { counts = ctx.keyedValueState<number>('count'); },
 *     process(word, out) { const n = (counts.get(word) ?? 0) + 1; counts.set(word, n); out.collect({ word, n }); },
 *   };
 * };
 * ```
 */
export interface Operator<I, O> {
  /** Called once before the first record. */
  open?(context: OperatorContext): void;
  /** Called for every record, in arrival order per input channel. */
  process(record: I, out: Collector<O>): void;
  /** Called when every input has ended; may emit final records. */
  close?(out: Collector<O>): void;
  /** The operator's state as plain data (keyed state is snapshotted by the runtime). */
  snapshot?(): unknown;
  /** Restores what `snapshot` returned. */
  restore?(snapshot: unknown): void;
}

/** Creates one operator instance per subtask: operators hold per-subtask state, so they are never shared. */
export type OperatorFactory<I, O> = () => Operator<I, O>;
