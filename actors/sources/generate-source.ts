import type { Source } from '../../lib/api/connectors.ts';
import { errors } from '../../lib/errors.ts';

export interface GenerateOptions {
  /** How many records in all (across subtasks); default: unbounded. */
  count?: number;
}

/**
 * Records computed from their index: `fn(0)`, `fn(1)`, …. Subtask `s` of `p` produces the indexes
 * `s, s + p, s + 2p, …`, so the job's output does not depend on the source's parallelism, and the
 * offset (how many indexes this subtask has produced) replays exactly.
 */
export function generate<T>(fn: (index: number) => T, options: GenerateOptions = {}): Source<T> {
  const count = options.count ?? Infinity;
  if (count !== Infinity && (!Number.isSafeInteger(count) || count < 0)) {
    throw errors.invalidOption('generate count', count, 'a whole number ≥ 0, or omit it for an unbounded source');
  }
  return {
    name: 'generate',
    describe: { count: count === Infinity ? 'unbounded' : count },
    functions: [fn],
    open({ subtaskIndex, parallelism }) {
      let produced = 0; // records this subtask emitted: index = subtaskIndex + produced * parallelism
      return {
        read(max, out) {
          let index = subtaskIndex + produced * parallelism;
          for (let i = 0; i < max && index < count; i++) {
            out.collect(fn(index));
            produced++;
            index += parallelism;
          }
          return index < count;
        },
        offset: () => produced,
        seek(offset) {
          produced = offset as number;
        },
      };
    },
  };
}
