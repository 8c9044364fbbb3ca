import type { Source } from '../../lib/operator/source.ts';
import { errors } from '../../lib/errors.ts';
import { hashString } from '../../lib/util/hash.ts';

/** A cheap content digest, so that an array built differently in a worker is caught by the fingerprint. */
function contentDigest(items: readonly unknown[]): string | number {
  try {
    return hashString(JSON.stringify(items, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '');
  } catch {
    return items.length;
  }
}

/**
 * The records of an in-memory array. Every worker builds the graph, so the array exists in every
 * worker; subtask `s` of `p` emits the items at indexes `s, s + p, …`.
 */
export function fromArray<T>(items: readonly T[]): Source<T> {
  if (!Array.isArray(items)) throw errors.invalidOption('fromArray items', items, 'an array (pass lists through params as JSON arrays)');
  return {
    name: 'fromArray',
    describe: { length: items.length, digest: contentDigest(items) },
    open({ subtaskIndex, parallelism }) {
      let next = subtaskIndex;
      return {
        read(max, out) {
          for (let i = 0; i < max && next < items.length; i++, next += parallelism) out.collect(items[next] as T);
          return next < items.length;
        },
        offset: () => next,
        seek(offset) {
          next = offset as number;
        },
      };
    },
  };
}

/**
 * The records of an iterable made by `factory` (called again on every replay, so it must yield the
 * same sequence each time). Subtask `s` of `p` keeps every p-th item starting at `s`.
 */
export function fromIterable<T>(factory: () => Iterable<T>): Source<T> {
  if (typeof factory !== 'function') {
    throw errors.invalidOption('fromIterable factory', factory, 'a function returning an iterable, called again on every replay');
  }
  return {
    name: 'fromIterable',
    describe: null,
    functions: [factory],
    open({ subtaskIndex, parallelism }) {
      let iterator = factory()[Symbol.iterator]();
      let position = 0; // items consumed from the iterator, including those of other subtasks
      const pull = (): IteratorResult<T> => {
        position++;
        return iterator.next();
      };
      // Skip to this subtask's first item.
      let done = false;
      for (let i = 0; i < subtaskIndex && !done; i++) done = pull().done === true;
      return {
        read(max, out) {
          for (let emitted = 0; emitted < max && !done; emitted++) {
            const item = pull();
            if (item.done) {
              done = true;
              break;
            }
            out.collect(item.value);
            for (let i = 1; i < parallelism && !done; i++) done = pull().done === true;
          }
          return !done;
        },
        offset: () => position,
        seek(offset) {
          iterator = factory()[Symbol.iterator]();
          position = 0;
          done = false;
          while (position < (offset as number) && !done) done = pull().done === true;
        },
      };
    },
  };
}
