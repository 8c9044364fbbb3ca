import type { Sink } from '../../lib/operator/sink.ts';

/** Drops every record (for benchmarks, and jobs whose effect is in their side outputs or metrics). */
export function discard<T>(): Sink<T> {
  return { name: 'discard', describe: null, createOperator: () => ({ process() {} }) };
}
