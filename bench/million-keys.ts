/**
 * The job of the recovery case of `npm run bench` (`checkpoints.ts`): a keyed operator that holds
 * `keys` keys (a count and a sum each, as the bid totals), filled once, then kept waiting by its
 * source until the bench has taken a checkpoint and tells it, through files, to fail and later to
 * end. Files, not timing: the failure comes only after the checkpoint of every key completed, and
 * the end only after the bench saw the job running again.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { job, sinks, state, type KeyedOperatorContext, type ReducingState, type Source } from 'weir';

export interface MillionKeysParams {
  /** Keys in all, dealt out over the source's subtasks (key `i` from subtask `i % parallelism`). */
  keys: number;
  /** Once this file exists, source subtask 0 fails: the first to create `failed` does, once. */
  fail: string;
  /** Created by the subtask that fails, so that the restarted attempt does not fail again. */
  failed: string;
  /** How it fails: it ends its worker thread (`process.exit`), or its `read` throws. */
  how: 'exit' | 'throw';
  /** Once this file exists, every source subtask ends (after the restart). */
  end: string;
}

/** What each subtask of the keyed operator emits at its end: the keys it holds and their counts summed. */
export interface HeldKeys {
  keys: number;
  count: number;
}

/** True for the first caller only, across threads and attempts: it creates the file. */
function firstTime(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Emits its share of the keys, then nothing until `end` exists. Waiting, it looks for the files
 * every read (a few microseconds each): the bench's waits are short, and nothing else runs then.
 */
const keys = (p: MillionKeysParams): Source<number> => ({
  name: 'keys',
  describe: { keys: p.keys },
  open: ({ subtaskIndex, parallelism }) => {
    let next = subtaskIndex;
    return {
      read(max, out) {
        for (let i = 0; i < max && next < p.keys; i++, next += parallelism) out.collect(next);
        if (next < p.keys) return true;
        if (subtaskIndex === 0 && existsSync(p.fail) && firstTime(p.failed)) {
          if (p.how === 'exit') process.exit(5);
          throw new Error('the recovery bench fails this source on purpose');
        }
        return !existsSync(p.end);
      },
      offset: () => next,
      seek: (offset) => void (next = offset as number),
    };
  },
});

export default job('million-keys', (env, p: MillionKeysParams) => {
  env
    .from(keys(p))
    .keyBy((key) => key)
    .transform<HeldKeys>('hold', () => {
      type Total = { count: number; sum: number };
      let ctx: KeyedOperatorContext<number>;
      let totals: ReducingState<Total>;
      return {
        open(context) {
          ctx = context;
          // The bid totals' shape: a count and a sum per key (each key comes once here).
          totals = ctx.keyedState('totals', state.reducing<Total>((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum })));
        },
        process(key) {
          totals.add({ count: 1, sum: key });
        },
        close(out) {
          let held = 0;
          let count = 0;
          for (const _ of ctx.keys()) {
            held++;
            count += totals.get()!.count;
          }
          out.collect({ keys: held, count });
        },
      };
    })
    .to(sinks.collect('held'));
});
