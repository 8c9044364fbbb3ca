import type { JsonValue } from '../util/json.ts';
import type { Operator } from './operator.ts';

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
  createOperator(): Operator<T, unknown>;
}
