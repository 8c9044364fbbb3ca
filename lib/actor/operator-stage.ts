import type { Flow } from '../channel/channel-writer.ts';
import { userError, type SubtaskLocation, type WeirError } from '../errors.ts';
import type { KeySelector } from '../graph/logical-graph.ts';
import type { Collector, Operator } from '../operator/operator.ts';
import type { TimeDomain } from '../operator/timers.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import { checkKey, type Key } from '../state/key-groups.ts';
import type { KeyContext } from '../state/keyed-state-backend.ts';
import type { OperatorStore } from '../state/operator-state-store.ts';
import type { TimerQueue } from '../state/timer-queue.ts';
import { specialize } from '../util/specialize.ts';
import type { RecordTime } from './pending-input.ts';
import { skipPoison } from './poison-skip.ts';
import type { Downstream, StageBody } from './stage.ts';

/** A stage's input watermark, which its operator's context reads. */
export interface StageWatermark {
  watermark: number;
}

/** The timers of one keyed operator: one queue per time domain. */
export interface KeyedTimers {
  readonly event: TimerQueue;
  readonly processing: TimerQueue;
}

/** One operator of a chain, where it runs, and for a keyed operator how its records are keyed. */
export interface OperatorLink {
  readonly kind: 'operator';
  readonly operator: Operator<unknown, unknown>;
  readonly at: SubtaskLocation;
  /** The input watermark its context shows; the stage sets it as watermarks pass. */
  readonly watermark: StageWatermark;
  /** The operator's state that belongs to no key (lists, broadcast maps): what a snapshot of the operator takes besides keyed state. */
  readonly operatorState?: OperatorStore;
  /**
   * The stage computes each record's key before `process` and sets it in `keys`, which the
   * operator's state handles and timers read. A bad key is blamed on `at` (`keyBy → op`), as the
   * router would.
   */
  readonly keyed?: {
    readonly keyOf: KeySelector;
    readonly keys: KeyContext;
    readonly at: SubtaskLocation;
    /**
     * Whether the stage checks that each key is a string or a number: needed where the keyBy is
     * fused into the chain; after an exchange, the sender's router already hashed (so checked) the
     * same key.
     */
    readonly check: boolean;
    readonly timers: KeyedTimers;
  };
  /** Digests of the poison records this operator passes over (see poison-skip.ts); absent: none. */
  readonly poison?: ReadonlySet<string>;
}

type Blame = (cause: unknown, record: unknown) => WeirError;

/** For keys a router already checked: V8 inlines it to nothing. */
const trusted = (key: Key): Key => key;

// The shapes of a stage's `process`, copied per stage (see specialize) so that each call site sees
// one operator and V8 can inline the chain into the loop that feeds it. try/catch costs nothing
// until something throws; the catch turns a bare user exception into an error that names the
// operator, the subtask and the record it was given.
const stageProcess =
  (operator: Operator<unknown, unknown>, next: Collector<unknown>, blame: Blame) =>
  (record: unknown): void => {
    try {
      operator.process(record, next);
    } catch (cause) {
      throw blame(cause, record);
    }
  };

/** A keyed stage first keys the record, for the operator's state handles (and checks the key). */
const keyedStageProcess =
  (operator: Operator<unknown, unknown>, next: Collector<unknown>, blame: Blame, keyOf: KeySelector, check: typeof checkKey, blameKey: Blame, keys: KeyContext) =>
  (record: unknown): void => {
    let key: Key;
    try {
      key = check(keyOf(record));
    } catch (cause) {
      throw blameKey(cause, record);
    }
    keys.key = key;
    try {
      operator.process(record, next);
    } catch (cause) {
      throw blame(cause, record);
    }
  };

/**
 * An operator's stage. A watermark fires the key's due event-time timers in time order, one
 * `onTimer` at a time, stopping where an output stalls (the watermark waits, and firing goes on
 * from there); then `onWatermark`, and the watermark moves on. The end of input is the final
 * watermark (+Infinity): every remaining timer fires, in both domains, before `close`.
 */
export function operatorBody(link: OperatorLink, next: Downstream, flow: Flow, time: RecordTime): StageBody {
  const { operator, at, keyed, watermark } = link;
  const blame: Blame = (cause, record) => userError(cause, at, { value: record });
  const plain = keyed
    ? specialize(keyedStageProcess, operator, next, blame, keyed.keyOf, keyed.check ? checkKey : trusted, (cause, record) => userError(cause, keyed.at, { value: record }), keyed.keys)
    : specialize(stageProcess, operator, next, blame);
  const process = link.poison ? skipPoison(plain, link.poison) : plain;

  /** Fires the timers of `queue` due by `upTo`; false if an output stalled first. */
  const fire = (queue: TimerQueue, domain: TimeDomain, upTo: number): boolean => {
    if (!keyed) return true;
    for (;;) {
      if (flow.stalled !== 0) return false;
      // pollKey, not poll: no object per timer (a window operator fires one per key and window).
      const key = queue.pollKey(upTo);
      if (key === undefined) return true;
      const due = queue.polledTime;
      keyed.keys.key = key;
      time.timestamp = due;
      try {
        operator.onTimer?.(due, domain, next);
      } catch (cause) {
        throw userError(cause, { ...at, while: `firing the ${domain}-time timer at ${due} of key ${JSON.stringify(key)}` });
      }
    }
  };

  const hook = (what: string, call: () => void): void => {
    try {
      call();
    } catch (cause) {
      throw userError(cause, { ...at, while: what });
    }
  };

  /** The last watermark `onWatermark` was told of (firing may stop and resume before it is). */
  let told = -Infinity;
  const advance = (to: number): boolean => {
    // Timers see the new watermark already, as in Flink: it is why they fire.
    if (to > watermark.watermark) watermark.watermark = to;
    if (keyed && !fire(keyed.timers.event, 'event', to)) return false;
    if (to > told) {
      told = to;
      if (operator.onWatermark) hook(`handling the watermark ${to}`, () => operator.onWatermark!(to, next));
    }
    return true;
  };

  return {
    process,
    collect: process,
    handle(signal) {
      switch (signal.type) {
        case 'watermark':
          if (!advance(signal.timestamp)) return false;
          break;
        case 'end':
          if (!advance(Infinity)) return false;
          if (keyed && !fire(keyed.timers.processing, 'processing', Infinity)) return false;
          if (operator.close) hook('closing', () => operator.close!(next));
          break;
      }
      next.signal(signal);
      return true;
    },
    processingTime: keyed ? (now) => fire(keyed.timers.processing, 'processing', now) : undefined,
    nextProcessingTime: keyed ? () => keyed.timers.processing.peek() : undefined,
  } as StageBody;
}
