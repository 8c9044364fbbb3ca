import { availableParallelism } from 'node:os';
import { findNonJson } from '../api/json.ts';
import { errors } from '../errors.ts';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.ts';

/**
 * Options of `run()` and `weir run`.
 *
 * @example
 * ```ts
 * await run(new URL('./vwap.ts', import.meta.url), { parallelism: 4, workers: 2, params: { symbols: 300 } });
 * ```
 */
export interface RunOptions<P = unknown> {
  /** Default parallelism of every operator that does not set its own. Default: `workers`. */
  parallelism?: number;
  /** Worker threads hosting the job's actors. Default: the machine's available cores. */
  workers?: number;
  /** Number of key groups, the upper bound of a keyed operator's parallelism. Default 128. */
  maxParallelism?: number;
  /** Batches a channel between threads may have in flight (the receiver's mailbox slots); in-thread channels hold at most 2. Default 16. */
  mailboxCapacity?: number;
  /** Records per batch between threads (in-thread batches hold at most 256). Default 4096. */
  batchSize?: number;
  /** A partly filled batch is sent after this many milliseconds. Default 10. */
  bufferTimeoutMs?: number;
  /** Batches per collect-sink channel the coordinator buffers before the job waits for a consumer. Default 256. */
  collectCapacity?: number;
  /**
   * Fuse operators into one actor where records can pass by function call: forward edges, and any
   * edge (a `keyBy` too) between two operators of one subtask each. `false` gives every operator its
   * own actor and mailbox, as Flink's `disableOperatorChaining()`. Default true.
   */
  chaining?: boolean;
  /** Old-generation heap limit of each worker thread in MiB (the young generation adds 64); a worker above it dies and fails the job. */
  workerMemoryMb?: number;
  /** JSON handed to the job's `build(env, params)` in the coordinator and in every worker. */
  params?: P;
}

export type ResolvedOptions = Required<Omit<RunOptions, 'workerMemoryMb' | 'params'>> & {
  workerMemoryMb: number | undefined;
  params: unknown;
};

const wholeNumber = (option: string, value: unknown, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidOption(option, value, `a whole number from ${min} to ${max}`);
  }
  return value;
};

const KNOWN = [
  'parallelism',
  'workers',
  'maxParallelism',
  'mailboxCapacity',
  'batchSize',
  'bufferTimeoutMs',
  'collectCapacity',
  'chaining',
  'workerMemoryMb',
  'params',
] as const satisfies readonly (keyof RunOptions)[];

/**
 * Validates options, fills in defaults, and says exactly which option is wrong and what is allowed.
 * `defaultWorkers` is the machine's cores for `run()`, and a runtime's thread count for `Runtime.run`.
 */
export function resolveOptions(options: unknown, defaultWorkers = availableParallelism()): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw errors.invalidOption('options', options, 'an object such as { parallelism: 2 }');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(KNOWN as readonly string[]).includes(key)) throw errors.unknownOption(key, KNOWN);
  }
  const pick = <T>(key: (typeof KNOWN)[number], fallback: T, check: (v: unknown) => T): T =>
    o[key] === undefined ? fallback : check(o[key]);

  const maxParallelism = pick('maxParallelism', DEFAULT_MAX_PARALLELISM, (v) => wholeNumber('maxParallelism', v, 1, 32768));
  const workers = pick('workers', defaultWorkers, (v) => wholeNumber('workers', v, 1, 256));
  const parallelism = pick('parallelism', workers, (v) => wholeNumber('parallelism', v, 1, maxParallelism));
  const params = o['params'];
  if (params !== undefined) {
    const bad = findNonJson(params);
    if (bad) throw errors.paramsNotJson(bad.path, bad.reason);
  }
  return {
    parallelism,
    workers,
    maxParallelism,
    mailboxCapacity: pick('mailboxCapacity', 16, (v) => wholeNumber('mailboxCapacity', v, 1, 1024)),
    batchSize: pick('batchSize', 4096, (v) => wholeNumber('batchSize', v, 1, 65536)),
    bufferTimeoutMs: pick('bufferTimeoutMs', 10, (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 60_000) {
        throw errors.invalidOption('bufferTimeoutMs', v, 'a number of milliseconds from 0 to 60000');
      }
      return v;
    }),
    collectCapacity: pick('collectCapacity', 256, (v) => wholeNumber('collectCapacity', v, 1, 1 << 20)),
    chaining: pick('chaining', true, (v) => {
      if (typeof v !== 'boolean') throw errors.invalidOption('chaining', v, 'true or false');
      return v;
    }),
    workerMemoryMb: pick('workerMemoryMb', undefined as number | undefined, (v) => wholeNumber('workerMemoryMb', v, 16, 1 << 20)),
    params,
  };
}
