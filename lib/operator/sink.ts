import type { JsonValue } from '../util/json.ts';
import type { Operator } from './operator.ts';

/**
 * When a sink's output becomes visible: `at-least-once` as it is written (a job restored from a
 * checkpoint writes again what came after it), `exactly-once` once the checkpoint that covers it
 * completed, or the job ended successfully (a two-phase commit: see two-phase-commit.ts).
 */
export type Delivery = 'at-least-once' | 'exactly-once';

/**
 * A sink: the end of a stream. Its operator runs in the worker like any other; a sink with an
 * `egress` name sends what its operator emits to the coordinator (see `sinks.collect`).
 *
 * @example
 * ```ts
 * const log = <T>(): Sink<T> => ({ name: 'log', describe: null, createOperator: () => ({ process: (r) => console.log(r) }) });
 * ```
 */
export interface Sink<T> {
  readonly name: string;
  /** The configuration as JSON; it enters the graph fingerprint. */
  readonly describe: JsonValue;
  /** Name under which emitted records reach `JobHandle.output(name)`. */
  readonly egress?: string;
  /** For an egress: when its records reach `JobHandle.output(name)` (default `at-least-once`, as they come). */
  readonly delivery?: Delivery;
  createOperator(): Operator<T, unknown>;
}
