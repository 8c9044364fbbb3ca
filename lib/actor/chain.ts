import type { Flow } from '../channel/channel-writer.ts';
import type { Route } from '../channel/router.ts';
import { userError, type SubtaskLocation, type WeirError } from '../errors.ts';
import type { KeySelector } from '../graph/logical-graph.ts';
import type { Collector, Operator } from '../operator/operator.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import { checkKey, type Key } from '../state/key-groups.ts';
import type { KeyContext } from '../state/keyed-state-backend.ts';
import { specialize } from '../util/specialize.ts';
import { PendingInput } from './pending-input.ts';

/** One operator of a chain, where it runs, and for a keyed operator how its records are keyed. */
export interface ChainLink {
  readonly operator: Operator<unknown, unknown>;
  readonly at: SubtaskLocation;
  /**
   * The stage computes each record's key before `process` and sets it in `keys`, which the
   * operator's state handles read. A bad key is blamed on `at` (`keyBy → op`), as the router would.
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
  };
}

/** For keys a router already checked: V8 inlines it to nothing. */
const trusted = (key: Key): Key => key;

type Blame = (cause: unknown, record: unknown) => WeirError;

// The shapes of a stage's functions, copied per stage (see specialize) so that each call site sees
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
 * Runs an array through a stage until the flow stalls; the rest is set aside with a cursor.
 * `done` runs once every record has moved on, now or when the rest is drained.
 */
const collectArray =
  (process: (record: unknown) => void, flow: Flow, pending: PendingInput) =>
  (records: readonly unknown[], done?: () => void): void => {
    for (let i = 0; i < records.length; i++) {
      if (flow.stalled !== 0) {
        pending.records(records, i, done);
        return;
      }
      process(records[i]);
    }
    done?.();
  };

/** What follows a stage: the next stage, or the end of the chain, which hands signals to the outputs. */
interface Downstream extends Collector<unknown> {
  signal(signal: ControlMessage): void;
}

/** What a stage does: with a record, and with a signal once everything before it has passed. */
interface StageBody {
  /** Runs a record through this stage and on (callers check the flow). */
  readonly process: (record: unknown) => void;
  /** What the stage before calls. */
  readonly collect: (record: unknown) => void;
  handle(signal: ControlMessage): void;
}

/** One stage of a chain (an operator, or the router at its end), with the input it could not take yet. */
class Stage implements Downstream {
  readonly collect: (record: unknown) => void;
  readonly process: (record: unknown) => void;
  readonly #collectArray: (records: readonly unknown[], done?: () => void) => void;
  readonly #drain: () => boolean;
  readonly #handle: (signal: ControlMessage) => void;

  constructor(
    body: StageBody,
    private readonly pending: PendingInput,
    private readonly flow: Flow,
    /** The operator whose records this stage receives, blamed when an iterable it emitted throws. */
    private readonly producer: SubtaskLocation,
  ) {
    this.collect = body.collect;
    this.process = body.process;
    this.#handle = (signal) => body.handle(signal);
    this.#collectArray = specialize(collectArray, this.process, flow, pending);
    this.#drain = () => pending.drain(flow, this.process, this.#handle);
  }

  collectAll(records: Iterable<unknown>): void {
    if (this.flow.stalled !== 0 || !this.pending.empty) {
      if (Array.isArray(records)) this.pending.records(records, 0);
      else this.pending.iterator(records[Symbol.iterator](), this.producer);
      return;
    }
    if (Array.isArray(records)) {
      this.#collectArray(records);
      return;
    }
    const iterator = records[Symbol.iterator]();
    for (;;) {
      if (this.flow.stalled !== 0) {
        this.pending.iterator(iterator, this.producer);
        return;
      }
      const next = iterator.next();
      if (next.done) return;
      this.process(next.value);
    }
  }

  /**
   * A batch from the mailbox: runs it as far as credit allows; `done` runs once its last record has
   * moved on (the mailbox slot is returned then, so a channel never has more than its capacity of
   * batches alive at the receiver).
   */
  collectBatch(records: readonly unknown[], done: () => void): void {
    if (this.flow.stalled !== 0 || !this.pending.empty) this.pending.records(records, 0, done);
    else this.#collectArray(records, done);
  }

  signal(signal: ControlMessage): void {
    if (this.flow.stalled !== 0 || !this.pending.empty) this.pending.signal(signal);
    else this.#handle(signal);
  }

  /** Runs what was set aside; true once nothing is left. */
  drain(): boolean {
    return this.#drain();
  }

  get idle(): boolean {
    return this.pending.empty;
  }
}

/** An operator's stage: `close` runs when the end of input reaches it, and may still emit. */
function operatorBody(link: ChainLink, next: Downstream): StageBody {
  const { operator, at, keyed } = link;
  const blame: Blame = (cause, record) => userError(cause, at, { value: record });
  const process = keyed
    ? specialize(keyedStageProcess, operator, next, blame, keyed.keyOf, keyed.check ? checkKey : trusted, (cause, record) => userError(cause, keyed.at, { value: record }), keyed.keys)
    : specialize(stageProcess, operator, next, blame);
  return {
    process,
    collect: process,
    handle(signal) {
      if (signal.type === 'end') {
        try {
          operator.close?.(next);
        } catch (cause) {
          throw userError(cause, { ...at, while: 'closing' });
        }
      }
      next.signal(signal);
    },
  };
}

/**
 * Operators fused into one call path: `head.collect(r)` runs r through every operator to the
 * router. Credit holds inside the chain too: when an output of the actor runs out of credit, what is
 * on its way is set aside where it is (the rest of a batch, the rest of an iterable emitted with
 * `collectAll` in front of the stage it went to, single records in front of the router, signals
 * behind all of them), and `resume` goes on from there later, the stage nearest the outputs first,
 * since what waits there came first. So an operator that emits 10,000 records per input fills one
 * batch beyond the credit, not 10,000 records' worth.
 */
export class Chain {
  readonly head: Stage;
  readonly #stages: Stage[];
  readonly #flow: Flow;
  #ended = false;

  constructor(
    links: readonly ChainLink[],
    /** The actor's outputs: the route, the flow, and where the route sets records aside. */
    outputs: { readonly route: Route; readonly flow: Flow; readonly held: PendingInput },
    onSignal: (signal: ControlMessage) => void,
    input: SubtaskLocation,
  ) {
    const { flow } = outputs;
    this.#flow = flow;
    // A chain of a source alone has no operator: its router is blamed on the source.
    const last = links.length > 0 ? links[links.length - 1]!.at : input;
    // The router's stage runs the route, which itself sets a record aside while an output of the
    // actor has no credit (see Hold in router.ts): within a step, once an output stalls it stays
    // stalled (credit comes back between steps), so what operators emit after the stall runs on
    // through the chain and waits in front of the router, in order; what they emit in bulk waits in
    // front of the stage it was emitted to (see collectAll).
    const route = outputs.route.collect;
    const router = new Stage(
      {
        process: route,
        collect: route,
        handle: (signal) => {
          if (signal.type === 'end') this.#ended = true;
          onSignal(signal);
        },
      },
      outputs.held,
      flow,
      last,
    );
    const stages: Stage[] = [router];
    for (let i = links.length - 1; i >= 0; i--) stages.unshift(new Stage(operatorBody(links[i]!, stages[0]!), new PendingInput(), flow, i === 0 ? input : links[i - 1]!.at));
    this.#stages = stages;
    this.head = stages[0]!;
  }

  /**
   * Drains what the stages set aside, nearest the outputs first. True when the chain is ready for
   * new input: nothing is left and every output has credit.
   */
  resume(): boolean {
    for (let i = this.#stages.length - 1; i >= 0; i--) if (!this.#stages[i]!.drain()) return false;
    return this.#flow.stalled === 0;
  }

  /** True while some stage still holds input it could not pass on. */
  get pending(): boolean {
    for (const stage of this.#stages) if (!stage.idle) return true;
    return false;
  }

  /** True once the end of input has passed every operator (and reached the outputs). */
  get ended(): boolean {
    return this.#ended;
  }
}
