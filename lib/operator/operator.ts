import type { Key } from '../state/key-groups.ts';
import type { OperatorStateStore } from '../state/operator-state-store.ts';
import type { StateDescriptor } from '../state/state-descriptors.ts';
import type { OutputTag } from './output-tag.ts';
import type { TimeDomain, TimerService } from './timers.ts';

/**
 * Receives the records an operator emits. Inside a chain it is the next operator; at the end of an
 * actor it is the partitioner that fills outgoing batches.
 *
 * Output moves on credit. `collect` hands over one record; `collectAll` hands over a whole iterable
 * but pulls its records only while every output has credit, so an operator that emits many records
 * per input (a `flatMap`, a window firing) pauses where credit runs out and resumes there later,
 * instead of queueing all of them. A generator passed to `collectAll` is run only as far as credit
 * allows.
 *
 * @example
 * ```ts
 * const splitWords: Operator<string, string> = {
 *   process(line, out) { out.collectAll(line.split(' ')); },
 * };
 * ```
 */
export interface Collector<T> {
  collect(record: T): void;
  /**
   * Emits every record of `records` in order, pulling each only when it can move on. Until its
   * last record is pulled, the iterable (an array, or whatever an iterator reads) belongs to weir:
   * do not change or reuse it after the call; emit a copy of anything the operator keeps changing.
   */
  collectAll(records: Iterable<T>): void;
}

/** What an operator instance knows about where it runs. */
export interface OperatorContext {
  readonly job: string;
  readonly operator: string;
  /** Zero-based index of this parallel instance (subtask). */
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Parameters the job was started with (JSON). */
  readonly params: unknown;
  /** The event time of the record (or timer) being processed; NaN when the stream has no timestamps. */
  readonly timestamp: number;
  /** The operator's current watermark: no record with a timestamp at or before it is expected (−Infinity before the first). */
  readonly watermark: number;
  /**
   * The identity of this run of the job: the same after restarts from its checkpoints, new for every
   * `run()` (one restored from a savepoint too). A two-phase sink files its commits under it.
   */
  readonly jobId: string;
  /** The runtime's clock now (processing time; tests can replace the clock). */
  currentProcessingTime(): number;
  /** Emits `record` to the side output `tag` (read with `stream.sideOutput(tag)`), with the current timestamp. */
  output<T>(tag: OutputTag<T>, record: T): void;
  /**
   * Sets the event time of what this call emits from now on (a window's result carries the window's
   * last millisecond, say). The next record or timer gets its own timestamp again.
   */
  setTimestamp(timestamp: number): void;
  /** Counts a record that came too late to be used (after its window closed): `lateRecords` in metrics. */
  countLateRecord(): void;
  /** State of this subtask that belongs to no key: lists (`list(name)`) and broadcast maps; see `OperatorStateStore`. */
  readonly operatorState: OperatorStateStore;
  /**
   * Asynchronous work the subtask must wait for (a write to a slow stream, a database commit): until
   * `promise` settles, the subtask takes no input (its senders run out of credit, so the job slows
   * to the pace of the work) and does not finish. If it rejects, the subtask fails with its error,
   * blamed on this operator, and the restart strategy applies.
   *
   * @example
   * ```ts
   * process(line) { if (!writable.write(line)) ctx.waitFor(once(writable, 'drain')); }
   * ```
   */
  waitFor(promise: PromiseLike<unknown>): void;
}

/**
 * The context of an operator applied to a keyed stream (`keyBy(...).transform(...)`): the key of
 * the record being processed, and keyed state scoped to that key. weir sets the key before every
 * `process` call, so a state handle taken once in `open` always reads and writes the current
 * record's key.
 *
 * @example
 * ```ts
 * const counter = (): KeyedOperator<string, [string, number], string> => {
 *   let count: ValueState<number>;
 *   let ctx: KeyedOperatorContext<string>;
 *   return {
 *     open(context) { ctx = context; count = ctx.keyedState('count', state.value(0)); },
 *     process(word, out) { count.update(count.value() + 1); out.collect([ctx.key, count.value()]); },
 *   };
 * };
 * ```
 */
export interface KeyedOperatorContext<K extends Key> extends OperatorContext {
  /** The key of the record being processed. */
  readonly key: K;
  /** A state of this operator by name, read and written for the current key. Take handles in `open`. */
  keyedState<H>(name: string, descriptor: StateDescriptor<H>): H;
  /**
   * Every key that holds state in this operator. While the iteration is at a key, that key is the
   * current one: state handles read and write its values (for emitting results at the end, say).
   */
  keys(): IterableIterator<K>;
  /** Event-time and processing-time timers of the current key; they call the operator's `onTimer`. */
  readonly timers: TimerService;
}

/**
 * The operator contract: lifecycle hooks with defaults; only `process` is required. Built-in
 * operators in `actors/` are written against this same contract, and `DataStream.transform`
 * accepts user operators. `C` is the context `open` receives: `KeyedOperatorContext<K>` for an
 * operator on a keyed stream.
 *
 * Hooks run on the worker thread that hosts the subtask. A hook that throws fails the subtask
 * with an error naming the operator, the subtask and the record.
 *
 * Records are handed from operator to operator by reference on one thread, and copied between
 * threads, and weir copies a record where it would otherwise reach two consumers. So an operator
 * may change a record it receives; what it must not do is change a record after emitting it (it
 * belongs to the next operator then): emit a copy of anything it keeps.
 *
 * @example
 * ```ts
 * const runningCount = (): KeyedOperator<string, { word: string; n: number }, string> => {
 *   let counts: ValueState<number>;
 *   let ctx: KeyedOperatorContext<string>;
 *   return {
 *     open(context) { ctx = context; counts = ctx.keyedState('count', state.value(0)); },
 *     process(word, out) { counts.update(counts.value() + 1); out.collect({ word: ctx.key, n: counts.value() }); },
 *   };
 * };
 * ```
 */
export interface Operator<I, O, C extends OperatorContext = OperatorContext> {
  /** Called once before the first record. */
  open?(context: C): void;
  /** Called for every record, in arrival order per input channel. */
  process(record: I, out: Collector<O>): void;
  /**
   * The operator's input watermark advanced to `watermark` (the minimum over its input channels):
   * no record with an earlier timestamp follows. Due event-time timers have fired by then. At the
   * end of a bounded input the watermark is +Infinity, so every window and timer fires.
   */
  onWatermark?(watermark: number, out: Collector<O>): void;
  /** A timer of the current key fired (keyed operators; see `KeyedOperatorContext.timers`); `ctx.timestamp` is `time`. */
  onTimer?(time: number, domain: TimeDomain, out: Collector<O>): void;
  /** Called when every input has ended, after the final watermark; may emit final records. */
  close?(out: Collector<O>): void;
  /**
   * The subtask is torn down: after it finished, or cancelled, or restarted after a failure. Releases
   * what the operator holds outside the job (a connection, a file handle, a timer). It must not
   * throw (what it throws is ignored: the subtask is gone).
   */
  dispose?(): void;
  /** The operator's own state as plain data (keyed state is snapshotted by the runtime); taken as the checkpoint's barrier passes. */
  snapshot?(checkpointId: number): unknown;
  /**
   * The checkpoint whose barrier passed this operator completed: every actor acknowledged it, so
   * nothing before it will be replayed. A two-phase sink commits here what it prepared in `snapshot`
   * (asynchronous work through `ctx.waitFor`). Never emits.
   */
  onCheckpointComplete?(checkpointId: number): void;
  /** Restores what `snapshot` returned. */
  restore?(snapshot: unknown): void;
}

/**
 * An operator with two inputs (`connect`, joins): each record of the first input goes to
 * `process1`, each of the second to `process2`. Everything else is the operator's over both
 * inputs: its watermark is the lower of theirs, its timers and state are shared, and `close` comes
 * once both have ended.
 *
 * @example
 * ```ts
 * // Passes on the orders whose customer is known (customers keyed like the orders).
 * const known = (): TwoInputOperator<Order, Customer, Order, KeyedOperatorContext<string>> => {
 *   let seen: ValueState<boolean>;
 *   return {
 *     open(ctx) { seen = ctx.keyedState('seen', state.value(false)); },
 *     process1(order, out) { if (seen.value()) out.collect(order); },
 *     process2() { seen.update(true); },
 *   };
 * };
 * ```
 */
export interface TwoInputOperator<A, B, O, C extends OperatorContext = OperatorContext> extends Omit<Operator<A, O, C>, 'process'> {
  /** Called for every record of the first input. */
  process1(record: A, out: Collector<O>): void;
  /** Called for every record of the second input. */
  process2(record: B, out: Collector<O>): void;
}

/** Creates one two-input operator instance per subtask. */
export type TwoInputOperatorFactory<A, B, O, C extends OperatorContext = OperatorContext> = () => TwoInputOperator<A, B, O, C>;

/** An operator on a keyed stream: its `open` gets the key and keyed state. */
export type KeyedOperator<I, O, K extends Key> = Operator<I, O, KeyedOperatorContext<K>>;

/** Creates one operator instance per subtask: operators hold per-subtask state, so they are never shared. */
export type OperatorFactory<I, O, C extends OperatorContext = OperatorContext> = () => Operator<I, O, C>;

/** Creates one keyed operator instance per subtask. */
export type KeyedOperatorFactory<I, O, K extends Key> = () => KeyedOperator<I, O, K>;
