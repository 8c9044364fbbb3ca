import type { Source } from '../../lib/api/connectors.ts';
import type { Collector } from '../../lib/actor/operator.ts';
import { errors } from '../../lib/errors.ts';
import { specialize } from '../../lib/util/specialize.ts';

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
      // records this subtask emitted: index = subtaskIndex + produced * parallelism
      const state = { produced: 0 };
      // A copy per subtask (see specialize): the loop calls this job's `fn` and this subtask's chain.
      const read = specialize(
        { fn, count, state, subtaskIndex, parallelism },
        `function read(max, out) {
          let index = subtaskIndex + state.produced * parallelism;
          for (let i = 0; i < max && index < count; i++) {
            out.collect(fn(index));
            state.produced++;
            index += parallelism;
          }
          return index < count;
        }`,
        () => (max: number, out: Collector<T>) => {
          let index = subtaskIndex + state.produced * parallelism;
          for (let i = 0; i < max && index < count; i++) {
            out.collect(fn(index));
            state.produced++;
            index += parallelism;
          }
          return index < count;
        },
      );
      return {
        read,
        offset: () => state.produced,
        seek(offset) {
          state.produced = offset as number;
        },
      };
    },
  };
}
