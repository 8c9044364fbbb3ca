import type { Sink } from '../../lib/operator/sink.ts';
import { inspect } from 'node:util';

/** Prints every record on the worker's stdout, prefixed with the subtask (`label 2/4> {…}`). */
export function console<T>(label = 'console'): Sink<T> {
  return {
    name: 'console',
    describe: { label },
    createOperator: () => {
      let prefix = label;
      return {
        open(ctx) {
          prefix = ctx.parallelism > 1 ? `${label} ${ctx.subtaskIndex + 1}/${ctx.parallelism}` : label;
        },
        process(record) {
          process.stdout.write(`${prefix}> ${typeof record === 'string' ? record : inspect(record, { breakLength: Infinity })}\n`);
        },
      };
    },
  };
}
