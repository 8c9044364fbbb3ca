import { errors, WeirError, type SubtaskLocation } from '../errors.ts';
import { checkKey, type Key } from '../state/key-groups.ts';
import { specialize } from '../util/specialize.ts';
import type { Collector, Operator } from './operator.ts';

/** Wraps a failure of user code with where it happened, once: the innermost operator names itself. */
export function userError(cause: unknown, at: SubtaskLocation, record?: { value: unknown }): WeirError {
  if (cause instanceof WeirError && cause.code === 'WEIR_E_USER_FUNCTION') return cause;
  return errors.userFunction(at, record?.value, cause, record !== undefined);
}

/** Passes records on unchanged after checking that `keyOf` gives each a key weir can hash. */
export function keyCheck(keyOf: (record: unknown) => Key): Operator<unknown, unknown> {
  // A copy per keyBy (see specialize): one shared `process` would call every job's key selector.
  const process = specialize(
    { keyOf, checkKey },
    `function process(record, out) {
      checkKey(keyOf(record));
      out.collect(record);
    }`,
    () => (record: unknown, out: Collector<unknown>) => {
      checkKey(keyOf(record));
      out.collect(record);
    },
  );
  return { process };
}

/** One operator of a chain, bound to the collector of the operator after it. */
class Stage implements Collector<unknown> {
  readonly collect: (record: unknown) => void;

  constructor(
    readonly operator: Operator<unknown, unknown>,
    readonly next: Collector<unknown>,
    readonly at: SubtaskLocation,
  ) {
    // try/catch costs nothing until something throws; the catch turns a bare user exception into
    // an error that names this operator, this subtask and the record it was given. Each stage gets
    // its own copy of this function (see specialize), so that the call to `process` stays monomorphic.
    const blame = (cause: unknown, record: unknown) => userError(cause, at, { value: record });
    this.collect = specialize(
      { operator, next, blame },
      `function collect(record) {
        try {
          operator.process(record, next);
        } catch (cause) {
          throw blame(cause, record);
        }
      }`,
      () => (record: unknown) => {
        try {
          operator.process(record, next);
        } catch (cause) {
          throw blame(cause, record);
        }
      },
    );
  }
}

/** Operators fused into one call path: `head.collect(r)` runs r through every operator to the router. */
export class Chain {
  readonly head: Collector<unknown>;
  readonly #stages: Stage[];

  constructor(operators: readonly Operator<unknown, unknown>[], locations: readonly SubtaskLocation[], tail: Collector<unknown>) {
    const stages: Stage[] = [];
    let next = tail;
    for (let i = operators.length - 1; i >= 0; i--) {
      const stage = new Stage(operators[i]!, next, locations[i]!);
      stages.unshift(stage);
      next = stage;
    }
    this.#stages = stages;
    this.head = next;
  }

  /** Runs `close` hooks head first, so what an operator emits on close still passes the operators after it. */
  close(): void {
    for (const stage of this.#stages) {
      try {
        stage.operator.close?.(stage.next);
      } catch (cause) {
        throw userError(cause, stage.at);
      }
    }
  }
}
