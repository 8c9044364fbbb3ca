import { errors, type SubtaskLocation } from '../errors.ts';
import type { KeyedOperatorContext, OperatorContext } from '../operator/operator.ts';
import type { OutputTag } from '../operator/output-tag.ts';
import type { TimerService } from '../operator/timers.ts';
import type { Key } from '../state/key-groups.ts';
import type { KeyContext, KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { ATTACH_KEYED_STATE, type KeyedValuesView } from '../state/keyed-values-view.ts';
import { OperatorStore } from '../state/operator-state-store.ts';
import type { StateDescriptor } from '../state/state-descriptors.ts';
import type { TtlTime } from '../state/state-ttl.ts';
import type { Clock } from '../util/clock.ts';

import type { RecordTime } from './pending-input.ts';
import type { KeyedTimers, StageWatermark } from './operator-stage.ts';

/** Where an operator runs, what it is called, and the time it sees. */
export interface ContextBase {
  readonly at: SubtaskLocation;
  readonly maxParallelism: number;
  readonly params: unknown;
  /** The run's identity (see `OperatorContext.jobId`). */
  readonly jobId: string;
  readonly time: RecordTime;
  readonly stage: StageWatermark;
  readonly clock: Clock;
  /** Emits a record to a side output of this operator. */
  readonly side: (tag: OutputTag<unknown>, record: unknown) => void;
  /** Counts a late record. */
  readonly late: () => void;
  /** The subtask waits for `promise` (see `OperatorContext.waitFor`). */
  readonly waitFor: (promise: PromiseLike<unknown>) => void;
  /** The operator's state that belongs to no key (a fresh one when absent, as in a test harness). */
  readonly operatorState?: OperatorStore;
}

/** What every operator's context says: where it runs, and the time it sees. */
class Place implements OperatorContext {
  readonly job: string;
  readonly operator: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly params: unknown;
  readonly jobId: string;
  readonly operatorState: OperatorStore;
  protected readonly at: SubtaskLocation;
  readonly #base: ContextBase;

  constructor(base: ContextBase) {
    const { at } = base;
    this.#base = base;
    this.at = at;
    this.job = at.job;
    this.operator = at.operator;
    this.subtaskIndex = at.subtaskIndex;
    this.parallelism = at.parallelism;
    this.maxParallelism = base.maxParallelism;
    this.params = base.params;
    this.jobId = base.jobId;
    this.operatorState = base.operatorState ?? new OperatorStore();
  }

  get timestamp(): number {
    return this.#base.time.timestamp;
  }

  get watermark(): number {
    return this.#base.stage.watermark;
  }

  currentProcessingTime(): number {
    return this.#base.clock.now();
  }

  output<T>(tag: OutputTag<T>, record: T): void {
    this.#base.side(tag as OutputTag<unknown>, record);
  }

  setTimestamp(timestamp: number): void {
    this.#base.time.timestamp = timestamp;
  }

  countLateRecord(): void {
    this.#base.late();
  }

  waitFor(promise: PromiseLike<unknown>): void {
    this.#base.waitFor(promise);
  }
}

/**
 * The context of an operator on a stream that is not keyed. Its type has no keyed state; the
 * object still answers `keyedState`, `key` and `keys` with a clear error, for callers the type
 * system did not stop (JavaScript, casts), instead of inventing keys.
 */
class UnkeyedContext extends Place {
  keyedState(name: string): never {
    throw errors.keyedStateNotKeyed(this.at, name);
  }

  get key(): unknown {
    throw errors.keyNotKeyed(this.at);
  }

  keys(): IterableIterator<Key> {
    throw errors.keyNotKeyed(this.at);
  }

  get timers(): never {
    throw errors.keyNotKeyed(this.at);
  }
}

/** A keyed operator's timers, for the current key. */
class KeyTimers implements TimerService {
  constructor(
    private readonly timers: KeyedTimers,
    private readonly current: KeyContext,
    private readonly base: ContextBase,
    /** Wakes the actor at a processing time. */
    private readonly wakeAt: (time: number) => void,
  ) {}

  currentProcessingTime(): number {
    return this.base.clock.now();
  }

  currentWatermark(): number {
    return this.base.stage.watermark;
  }

  registerEventTime(time: number): void {
    this.timers.event.register(time, this.current.key);
  }

  deleteEventTime(time: number): void {
    this.timers.event.delete(time, this.current.key);
  }

  registerProcessingTime(time: number): void {
    this.timers.processing.register(time, this.current.key);
    this.wakeAt(time);
  }

  deleteProcessingTime(time: number): void {
    this.timers.processing.delete(time, this.current.key);
  }
}

/**
 * The context of a keyed operator: `key` is the current record's key (its stage sets `keys.key`
 * before every call), and state handles and timers are scoped to it. States are named per operator
 * (`node/name`), so two operators of a chain never share one by accident. A class, not an object
 * literal: `ctx.key` is read on every record, and a getter on a prototype is one V8 can inline.
 */
class KeyedContext extends Place implements KeyedOperatorContext<Key> {
  readonly #prefix: string;
  readonly timers: TimerService;
  /** What TTL compares against: the clock, and this operator's own watermark. */
  readonly #ttlTime: TtlTime;

  constructor(
    base: ContextBase,
    node: number,
    private readonly backend: KeyedStateBackend,
    private readonly current: KeyContext,
    timers: KeyedTimers,
    wakeAt: (time: number) => void,
  ) {
    super(base);
    this.#prefix = `${node}/`;
    this.timers = new KeyTimers(timers, current, base, wakeAt);
    this.#ttlTime = { processing: () => base.clock.now(), event: () => base.stage.watermark };
  }

  get key(): Key {
    return this.current.key;
  }

  keyedState<H>(name: string, descriptor: StateDescriptor<H>): H {
    return this.backend.handle(this.#prefix + name, descriptor, this.current, this.at, this.#ttlTime);
  }

  keys(): IterableIterator<Key> {
    return this.backend.keysOf(this.#prefix, this.current);
  }

  /** See attachKeyedState (lib/state/keyed-values-view.ts). */
  [ATTACH_KEYED_STATE](name: string, view: KeyedValuesView): void {
    this.backend.attach(this.#prefix + name, view, this.at);
  }
}

export const operatorContext = (base: ContextBase): OperatorContext => new UnkeyedContext(base);

export const keyedOperatorContext = (
  base: ContextBase,
  node: number,
  backend: KeyedStateBackend,
  keys: KeyContext,
  timers: KeyedTimers,
  wakeAt: (time: number) => void,
): KeyedOperatorContext<Key> => new KeyedContext(base, node, backend, keys, timers, wakeAt);
