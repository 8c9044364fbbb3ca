import type { MessagePort } from 'node:worker_threads';
import type { Clock } from '../util/clock.ts';
import type { JsonValue } from '../util/json.ts';
import type { Collector } from './operator.ts';

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
  /**
   * An unfinished split of an earlier run of a `rescalable` source, handed to this subtask: an
   * offset one of that run's readers returned. Ask before claiming a new split with `nextSplit`,
   * `seek` to it and read it to its end; undefined when no such split is left (always, unless the
   * job was restored at another parallelism of the source).
   */
  resumeSplit(): JsonValue | undefined;
  /** Processing time (tests replace the clock): what a reader polls or times out with. */
  readonly clock: Clock;
  /**
   * For a reader whose records arrive asynchronously (a followed file, a broker, a Node stream): a
   * `read` that emitted nothing and returned true parks the subtask, and weir calls `read` again once
   * the reader called `wakeUp()` (from a callback, a promise, a timer on `clock`), or else after 50 ms
   * of processing time (a poll, for a reader that cannot tell). Calling it during `read`, or when
   * nothing is parked, is harmless. A reader whose background work failed
   * keeps the error, calls `wakeUp()` and throws it from its next `read`: the subtask then fails
   * with it, naming the source.
   */
  wakeUp(): void;
  /**
   * Sends an input the reader cannot turn into a record (a malformed row, say) to the job's dead
   * letters (`handle.deadLetters()`) with `reason`, instead of skipping it silently. `key` names the
   * input within the source (a file and byte offset, an entry id): a replay after a restart that
   * sends the same key again is dropped, so each bad input is a dead letter once.
   */
  deadLetter(record: JsonValue, reason: string, key: string): void;
  /**
   * The port to the coordinator's log of the daemon input `name` (see `sources.input`), on the
   * subtask that reads it; undefined elsewhere. weir's input source pulls its records through it.
   */
  ingressPort?(name: string): MessagePort | undefined;
}

/**
 * Reads one subtask's share of a source. Sources are replayable: `offset()` says where the reader
 * is, and `seek()` goes back there, which is what checkpoints store and recovery rewinds to. A source
 * that claims splits (`SourceContext.nextSplit`) is only replayable together with the split counter:
 * a checkpoint must store the counter with the readers' offsets.
 */
export interface SourceReader<T> {
  /**
   * Emits at most `max` records into `out`; returns false once the subtask's share is exhausted.
   * A reader emits with `out.collect`; weir calls `read` again only when its outputs have credit.
   */
  read(max: number, out: Collector<T>): boolean;
  /**
   * The position of the next record, as plain data. `checkpointId`: the checkpoint this offset is
   * taken for (absent when weir asks for another reason, at the end of the input): a reader that
   * acknowledges a broker's entries in `checkpointComplete` remembers what each checkpoint covered.
   */
  offset(checkpointId?: number): JsonValue;
  /** Moves to a position that `offset()` returned. */
  seek(offset: JsonValue): void;
  /**
   * A checkpoint whose offsets this reader gave completed (every actor acknowledged it): what it
   * covers will never be read again, so a broker's entries up to it can be acknowledged. Called
   * between `read`s; work it starts may finish asynchronously.
   */
  checkpointComplete?(checkpointId: number): void;
  close?(): void;
}

/**
 * A source of records. Built-ins live in `sources`; a user can write one against this contract.
 *
 * @example
 * ```ts
 * const numbers = (n: number): Source<number> => ({
 *   name: 'numbers',
 *   describe: { n },
 *   open: ({ subtaskIndex, parallelism }) => {
 *     let next = subtaskIndex;
 *     return {
 *       read(max, out) {
 *         for (let i = 0; i < max && next < n; i++, next += parallelism) out.collect(next);
 *         return next < n;
 *       },
 *       offset: () => next,
 *       seek: (offset) => void (next = offset as number),
 *     };
 *   },
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
  /**
   * Whether a checkpoint of it restores at another parallelism: its readers claim splits with
   * `nextSplit` (numbered the same at any parallelism), take unfinished ones with `resumeSplit`
   * first, and their offset names only the split being read and where in it. The readers'
   * offsets are then dealt out again as unfinished splits. Default false: the same parallelism only.
   */
  readonly rescalable?: boolean;
  /**
   * A daemon input (`sources.input(name)`): its records come from `handle.input(name)` in the
   * process that runs the job, through a log the coordinator keeps; `capacity` is how many written
   * records may wait unread before `write()` waits. Such a source runs at parallelism 1.
   */
  readonly ingress?: { readonly name: string; readonly capacity: number };
  open(context: SourceContext): SourceReader<T>;
}
