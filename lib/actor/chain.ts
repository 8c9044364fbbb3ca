import type { Flow } from '../channel/channel-writer.ts';
import type { Route } from '../channel/router.ts';
import { errors, userError, type SubtaskLocation, type WeirError } from '../errors.ts';
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
  readonly keyed?: { readonly keyOf: KeySelector; readonly keys: KeyContext; readonly at: SubtaskLocation };
}

type Blame = (cause: unknown, record: unknown) => WeirError;

// The shapes of a stage's functions, copied per stage (see specialize) so that each call site sees
// one operator and V8 can inline the chain into the loop that feeds it. `process` runs a record
// (draining and batches check the flow themselves); `collect`, what the operator before calls, sets
// the record aside while an output of the actor has no credit (the flow is stalled), else runs it.
// try/catch costs nothing until something throws; the catch turns a bare user exception into an
// error that names the operator, the subtask and the record it was given.
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

const stageCollect =
  (process: (record: unknown) => void, flow: Flow, pending: PendingInput) =>
  (record: unknown): void => {
    if (flow.stalled !== 0) pending.record(record);
    else process(record);
  };

/** Runs an array through a stage until the flow stalls; the rest is set aside with a cursor. */
const collectArray =
  (process: (record: unknown) => void, flow: Flow, pending: PendingInput) =>
  (records: readonly unknown[]): void => {
    for (let i = 0; i < records.length; i++) {
      if (flow.stalled !== 0) {
        pending.records(records, i);
        return;
      }
      process(records[i]);
    }
  };

/** What follows a stage: the next stage, or the end of the chain, which hands signals to the outputs. */
interface Downstream extends Collector<unknown> {
  signal(signal: ControlMessage): void;
}

/** One operator of a chain, bound to what follows it, with the input it could not take yet. */
class Stage implements Downstream {
  readonly collect: (record: unknown) => void;
  readonly process: (record: unknown) => void;
  readonly #collectArray: (records: readonly unknown[]) => void;
  readonly #pending = new PendingInput();
  readonly #drain: () => boolean;

  constructor(
    readonly link: ChainLink,
    readonly next: Downstream,
    private readonly flow: Flow,
    /** The operator whose records this stage receives, blamed when an iterable it emitted throws. */
    private readonly producer: SubtaskLocation,
  ) {
    const { operator, at, keyed } = link;
    const pending = this.#pending;
    const blame: Blame = (cause, record) => userError(cause, at, { value: record });
    if (keyed) {
      const blameKey: Blame = (cause, record) => userError(cause, keyed.at, { value: record });
      this.process = specialize(keyedStageProcess, operator, next, blame, keyed.keyOf, checkKey, blameKey, keyed.keys);
    } else {
      this.process = specialize(stageProcess, operator, next, blame);
    }
    this.collect = specialize(stageCollect, this.process, flow, pending);
    this.#collectArray = specialize(collectArray, this.process, flow, pending);
    const handle = (signal: ControlMessage) => this.#handle(signal);
    this.#drain = () => pending.drain(flow, this.process, handle);
  }

  collectAll(records: Iterable<unknown>): void {
    if (this.flow.stalled !== 0 || !this.#pending.empty) {
      if (Array.isArray(records)) this.#pending.records(records, 0);
      else this.#pending.iterator(records[Symbol.iterator](), this.producer);
      return;
    }
    if (Array.isArray(records)) {
      this.#collectArray(records);
      return;
    }
    const iterator = records[Symbol.iterator]();
    for (;;) {
      if (this.flow.stalled !== 0) {
        this.#pending.iterator(iterator, this.producer);
        return;
      }
      const next = iterator.next();
      if (next.done) return;
      this.process(next.value);
    }
  }

  signal(signal: ControlMessage): void {
    if (this.flow.stalled !== 0 || !this.#pending.empty) this.#pending.signal(signal);
    else this.#handle(signal);
  }

  /** Runs what was set aside; true once nothing is left. */
  drain(): boolean {
    return this.#drain();
  }

  get idle(): boolean {
    return this.#pending.empty;
  }

  /** End of input: the operator's `close` may still emit; then the end moves on. */
  #handle(signal: ControlMessage): void {
    if (signal.type === 'end') {
      try {
        this.link.operator.close?.(this.next);
      } catch (cause) {
        throw userError(cause, { ...this.link.at, while: 'closing' });
      }
    }
    this.next.signal(signal);
  }
}

/**
 * Operators fused into one call path: `head.collect(r)` runs r through every operator to the
 * router. Credit holds inside the chain too: when an output of the actor runs out of credit, every
 * stage sets aside what reaches it (records, the rest of a batch, the rest of an iterable emitted
 * with `collectAll`, signals) and `resume` goes on from there later, the stage nearest the outputs
 * first, since what waits there came first. So an operator that emits 10,000 records per input
 * fills one batch beyond the credit, not 10,000 records' worth.
 */
export class Chain {
  readonly head: Stage;
  readonly #stages: Stage[];
  readonly #flow: Flow;
  #ended = false;

  constructor(links: readonly ChainLink[], route: Route, flow: Flow, onSignal: (signal: ControlMessage) => void, input: SubtaskLocation) {
    this.#flow = flow;
    // A chain of a source alone has no operator: its router is blamed on the source.
    const tailAt = links.length > 0 ? links[links.length - 1]!.at : input;
    const end: Downstream = {
      collect: () => {
        throw errors.internal('a record reached the end of a chain past its router');
      },
      collectAll: () => {
        throw errors.internal('records reached the end of a chain past its router');
      },
      signal: (signal) => {
        if (signal.type === 'end') this.#ended = true;
        onSignal(signal);
      },
    };
    // The router is the last stage: records wait in front of it like in front of any operator.
    const router: ChainLink = { operator: { process: (record) => route.collect(record) }, at: tailAt };
    const all = [...links, router];
    const stages: Stage[] = [];
    let next: Downstream = end;
    for (let i = all.length - 1; i >= 0; i--) {
      const stage: Stage = new Stage(all[i]!, next, flow, i === 0 ? input : all[i - 1]!.at);
      stages.unshift(stage);
      next = stage;
    }
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
