import type { Source, SourceReader } from '../../lib/operator/source.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import type { Collector } from '../../lib/operator/operator.ts';
import { errors } from '../../lib/errors.ts';
import { specialize } from '../../lib/util/specialize.ts';

export interface GenerateOptions {
  /** How many records in all (across subtasks); default: unbounded. */
  count?: number;
  /**
   * How indexes are shared among the source's subtasks. `'on-demand'` (default): in ranges (splits)
   * that each subtask claims when it has read its last one, so a subtask that gets ahead (its
   * downstream is less loaded) reads more. `'round-robin'`: subtask `s` of `p` reads `s, s + p, …`,
   * a fixed share, for tests that must know which subtask emitted a record.
   */
  assign?: 'on-demand' | 'round-robin';
}

/** Indexes per split at most: claiming one is an atomic add, paid once per this many records. */
const MAX_SPLIT = 4096;

/**
 * Records computed from their index: `fn(0)`, `fn(1)`, …, each index exactly once across the
 * source's subtasks, so the job's records do not depend on the source's parallelism. The offset (the
 * split and the next index in it, or the count produced for round-robin) says where a reader is.
 */
export function generate<T>(fn: (index: number) => T, options: GenerateOptions = {}): Source<T> {
  const count = options.count ?? Infinity;
  if (count !== Infinity && (!Number.isSafeInteger(count) || count < 0)) {
    throw errors.invalidOption('generate count', count, 'a whole number ≥ 0, or omit it for an unbounded source');
  }
  const assign = options.assign ?? 'on-demand';
  if (assign !== 'on-demand' && assign !== 'round-robin') {
    throw errors.invalidOption('generate assign', assign, "'on-demand' or 'round-robin'");
  }
  return {
    name: 'generate',
    describe: { count: count === Infinity ? 'unbounded' : count, assign },
    functions: [fn],
    // On demand, a split is the same range at any parallelism, and a reader's offset is its split.
    rescalable: assign === 'on-demand',
    open: ({ subtaskIndex, parallelism, nextSplit, resumeSplit }) =>
      assign === 'round-robin' ? roundRobin(fn, count, subtaskIndex, parallelism) : onDemand(fn, count, nextSplit, resumeSplit),
  };
}

interface SplitState {
  split: number;
  next: number;
  end: number;
  exhausted: boolean;
}

/** The on-demand read loop, copied per subtask (see specialize). */
const readSplits =
  <T>(fn: (index: number) => T, state: SplitState, claim: () => boolean) =>
  (max: number, out: Collector<T>): boolean => {
    for (let i = 0; i < max; i++) {
      // A resumed split can be one its earlier reader had read to the end: claim on.
      while (state.next === state.end) if (state.exhausted || !claim()) return false;
      out.collect(fn(state.next));
      state.next++;
    }
    return true;
  };

/** The round-robin read loop, copied per subtask (see specialize). */
const readRoundRobin =
  <T>(fn: (index: number) => T, count: number, state: { produced: number }, subtaskIndex: number, parallelism: number) =>
  (max: number, out: Collector<T>): boolean => {
    let index = subtaskIndex + state.produced * parallelism;
    for (let i = 0; i < max && index < count; i++) {
      out.collect(fn(index));
      state.produced++;
      index += parallelism;
    }
    return index < count;
  };

/**
 * Splits of at most MAX_SPLIT indexes, small enough that every subtask of a short job gets some
 * (64 splits in all, up to 16 per subtask at parallelism 4). Their size depends on the count only,
 * so that split n is the same range after a restore at another parallelism.
 */
function onDemand<T>(fn: (index: number) => T, count: number, nextSplit: () => number, resumeSplit: () => JsonValue | undefined): SourceReader<T> {
  const size = count === Infinity ? MAX_SPLIT : Math.max(1, Math.min(MAX_SPLIT, Math.ceil(count / 64)));
  // indexes [next, end) of the split being read remain; split -1: none claimed yet
  const state: SplitState = { split: -1, next: 0, end: 0, exhausted: false };
  const seek = (offset: JsonValue): void => {
    const { split, next } = offset as { split: number; next: number };
    state.split = split;
    state.next = next;
    state.end = split < 0 ? 0 : Math.min((split + 1) * size, count);
  };
  const claim = (): boolean => {
    // Unfinished splits of an earlier run at another parallelism come first.
    const resumed = resumeSplit();
    if (resumed !== undefined) {
      seek(resumed);
      return true;
    }
    const split = nextSplit();
    const start = split * size;
    if (start >= count) {
      state.exhausted = true;
      return false;
    }
    state.split = split;
    state.next = start;
    state.end = Math.min(start + size, count);
    return true;
  };
  // A copy per subtask (see specialize): the loop calls this job's `fn` and this subtask's chain.
  const read = specialize(readSplits<T>, fn, state, claim);
  return {
    read,
    offset: () => ({ split: state.split, next: state.next }),
    seek,
  };
}

function roundRobin<T>(fn: (index: number) => T, count: number, subtaskIndex: number, parallelism: number): SourceReader<T> {
  // records this subtask emitted: index = subtaskIndex + produced * parallelism
  const state = { produced: 0 };
  const read = specialize(readRoundRobin<T>, fn, count, state, subtaskIndex, parallelism);
  return {
    read,
    offset: () => state.produced,
    seek(offset) {
      state.produced = offset as number;
    },
  };
}
