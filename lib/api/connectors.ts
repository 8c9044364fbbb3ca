import type { Collector, Operator } from '../actor/operator.ts';
import type { JsonValue } from './json.ts';

/** Where a source subtask runs: a source splits its records across its parallel subtasks. */
export interface SourceContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /**
   * Claims the next split of this source: the numbers 0, 1, 2, … are shared by all of the source's
   * subtasks, each goes to exactly one of them, in the order they ask. A source that divides its
   * input into numbered splits and reads the ones it claims lets a subtask that reads faster read
   * more (Flink's split enumerator, in its simplest form).
   */
  nextSplit(): number;
}

/**
 * Reads one subtask's share of a source. Sources are replayable: `offset()` says where the reader
 * is, and `seek()` goes back there, which is what checkpoints store and recovery rewinds to. A source
 * that claims splits (`SourceContext.nextSplit`) is only replayable together with the split counter:
 * a checkpoint must store the counter with the readers' offsets.
 */
export interface SourceReader<T> {
  /** Emits at most `max` records into `out`; returns false once the subtask's share is exhausted. */
  read(max: number, out: Collector<T>): boolean;
  /** The position of the next record, as plain data. */
  offset(): JsonValue;
  /** Moves to a position that `offset()` returned. */
  seek(offset: JsonValue): void;
  close?(): void;
}

/**
 * A source of records. Built-ins live in `sources`; a user can write one against this contract.
 *
 * @example
 * ```ts
 * const numbers = (n: number): Source<number> => ({
 *   name: 'numbers', describe: { n },
 *   open: ({ subtaskIndex, parallelism }) => { ... },
 * });
 * ```
 */
export interface Source<T> {
  /** Default operator name, e.g. `generate`. */
  readonly name: string;
  /** The configuration as JSON; it enters the graph fingerprint. */
  readonly describe: JsonValue;
  /** User functions the source calls; their text enters the graph fingerprint. */
  readonly functions?: readonly Function[];
  open(context: SourceContext): SourceReader<T>;
}

/**
 * A sink: the end of a stream. Its operator runs in the worker like any other; a sink with an
 * `egress` name sends what its operator emits to the coordinator (see `sinks.collect`).
 */
export interface Sink<T> {
  readonly name: string;
  readonly describe: JsonValue;
  /** Name under which emitted records reach `JobHandle.output(name)`. */
  readonly egress?: string;
  createOperator(): Operator<T, unknown>;
}
