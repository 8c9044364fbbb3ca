import { errors, WeirError, type SubtaskLocation } from '../errors.ts';
import { checkKey, type Key } from '../state/key-groups.ts';
import { specialize } from '../util/specialize.ts';
import type { Collector, Operator } from './operator.ts';

/**
 * Wraps a failure of user code with where it happened, once: the innermost operator names itself,
 * and a record that could not leave for another thread (thrown while an operator emitted) stays
 * blamed on its sender, not on the operator whose record happened to fill the batch.
 */
export function userError(cause: unknown, at: SubtaskLocation, record?: { value: unknown }): WeirError {
  if (cause instanceof WeirError && (cause.code === 'WEIR_E_USER_FUNCTION' || cause.code === 'WEIR_E_NOT_CLONEABLE')) return cause;
  return errors.userFunction(at, record?.value, cause, record !== undefined);
}

/** One operator of a chain, where it runs, and the key selector of a keyBy fused in before it. */
export interface ChainLink {
  readonly operator: Operator<unknown, unknown>;
  readonly at: SubtaskLocation;
  /**
   * A keyBy with one subtask on each side routes nothing, but its keys are still checked, and a bad
   * one is blamed on the keyBy (`at`), as the router would.
   */
  readonly keyBy?: { readonly keyOf: (record: unknown) => Key; readonly at: SubtaskLocation };
}

type Blame = (cause: unknown, record: unknown) => WeirError;

// The two shapes of a stage's `collect`, copied per stage (see specialize). try/catch costs nothing
// until something throws; the catch turns a bare user exception into an error that names the
// operator, the subtask and the record it was given.
const stageCollect =
  (operator: Operator<unknown, unknown>, next: Collector<unknown>, blame: Blame) =>
  (record: unknown): void => {
    try {
      operator.process(record, next);
    } catch (cause) {
      throw blame(cause, record);
    }
  };

const keyedStageCollect =
  (operator: Operator<unknown, unknown>, next: Collector<unknown>, blame: Blame, keyOf: (record: unknown) => Key, check: typeof checkKey, blameKey: Blame) =>
  (record: unknown): void => {
    try {
      check(keyOf(record));
    } catch (cause) {
      throw blameKey(cause, record);
    }
    try {
      operator.process(record, next);
    } catch (cause) {
      throw blame(cause, record);
    }
  };

/** One operator of a chain, bound to the collector of the operator after it. */
class Stage implements Collector<unknown> {
  readonly collect: (record: unknown) => void;

  constructor(
    readonly link: ChainLink,
    readonly next: Collector<unknown>,
  ) {
    const { operator, at, keyBy } = link;
    const blame: Blame = (cause, record) => userError(cause, at, { value: record });
    this.collect = keyBy
      ? specialize(keyedStageCollect, operator, next, blame, keyBy.keyOf, checkKey, (cause, record) => userError(cause, keyBy.at, { value: record }))
      : specialize(stageCollect, operator, next, blame);
  }
}

/** Operators fused into one call path: `head.collect(r)` runs r through every operator to the router. */
export class Chain {
  readonly head: Collector<unknown>;
  readonly #stages: Stage[];

  constructor(links: readonly ChainLink[], tail: Collector<unknown>) {
    const stages: Stage[] = [];
    let next = tail;
    for (let i = links.length - 1; i >= 0; i--) {
      const stage = new Stage(links[i]!, next);
      stages.unshift(stage);
      next = stage;
    }
    this.#stages = stages;
    this.head = next;
  }

  /** Runs `close` hooks head first, so what an operator emits on close still passes the operators after it. */
  close(): void {
    for (const { link, next } of this.#stages) {
      try {
        link.operator.close?.(next);
      } catch (cause) {
        throw userError(cause, link.at);
      }
    }
  }
}
