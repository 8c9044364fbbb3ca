import { availableParallelism } from 'node:os';
import { errors } from '../errors.ts';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { findNonJson } from '../util/json.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint.ts';
import { restarts, type RestartStrategy } from '../supervision/restart-strategy.ts';
import type { PoisonOptions, ResolvedPoison } from '../supervision/poison-records.ts';

const MiB = 1024 * 1024;

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
  /** Estimated bytes a channel between threads may have in flight (one batch may exceed it). Default 8 MiB. */
  mailboxBytes?: number;
  /** Records per batch between threads (in-thread batches hold at most 256). Default 4096. */
  batchSize?: number;
  /** A batch also leaves once its records are estimated at this many bytes. Default 1 MiB. */
  batchBytes?: number;
  /** A partly filled batch is sent after this many milliseconds. Default 10. */
  bufferTimeoutMs?: number;
  /** How often a `withTimestamps` stage computes and sends its watermark, in milliseconds. Default 200. */
  watermarkIntervalMs?: number;
  /** Batches per collect-sink subtask the coordinator buffers before the job waits for a consumer. Default 256. */
  collectCapacity?: number;
  /** Estimated bytes per collect-sink subtask the coordinator buffers before the job waits. Default 32 MiB. */
  collectBytes?: number;
  /**
   * Fuse operators into one actor where records can pass by function call: forward edges, and any
   * edge (a `keyBy` too) between two operators of one subtask each. `false` gives every operator its
   * own actor and mailbox, as Flink's `disableOperatorChaining()`. Default true.
   */
  chaining?: boolean;
  /**
   * Check that every record on every channel could cross threads (structured-cloneable: no
   * functions or symbols), also where it does not, so that a job that would fail across threads
   * fails at parallelism 1 too. For tests: it costs a structured clone per record. Default false.
   */
  checkRecords?: boolean;
  /** Old-generation heap limit of each worker thread in MiB (the young generation adds 64); a worker above it dies and fails the job. */
  workerMemoryMb?: number;
  /** JSON handed to the job's `build(env, params)` in the coordinator and in every worker. */
  params?: P;
  /**
   * The job's clock: processing time of its operators (processing-time timers and windows, TTL,
   * idleness, watermark intervals), elapsed times, and the grace period of threads that do not stop
   * (on a `Runtime`). A `ManualClock` steps them in tests; the workers' clocks follow it. Default:
   * the system clock. (Workers time their steps on the system clock, so `stuck` in metrics is
   * measured on it.)
   */
  clock?: Clock;
  /**
   * Take a checkpoint every this many milliseconds of the job's clock (see `JobHandle.checkpoint`).
   * Default: none (checkpoints only on demand).
   */
  checkpointIntervalMs?: number;
  /** A checkpoint not complete after this many milliseconds of the job's clock is abandoned. Default 60000. */
  checkpointTimeoutMs?: number;
  /** Completed checkpoints kept in memory (the newest ones, `JobHandle.checkpoints()`). Default 2. */
  checkpointsRetained?: number;
  /**
   * Start from a completed checkpoint (as `handle.checkpoint()` resolved it, or one of
   * `handle.checkpoints()`), of this job, at any parallelism of its keyed operators: their state
   * and timers are split by key group; sources seek to their offsets (at the same parallelism, or
   * at any for a rescalable source such as `sources.generate`: its unfinished splits are dealt out again).
   * A string is the directory of a savepoint (as `handle.stop({ savepoint })` wrote it): it is read
   * and checked (checksum, job, format version) before anything is deployed.
   */
  restoreFrom?: CompletedCheckpoint | string;
  /**
   * Restore even if `restoreFrom` holds state of operators this job no longer has (matched by
   * `uid`, else by place in the graph): their state is dropped. Default false: such a checkpoint
   * is refused, naming the operator.
   */
  allowNonRestoredState?: boolean;
  /**
   * What the job supervisor does when the running job fails (a user function throws, a worker thread
   * dies or exceeds `workerMemoryMb`, an actor exceeds `actorTimeoutMs`): tear the attempt down, wait
   * the strategy's delay on the job's clock, and deploy the job again from its last completed
   * checkpoint (from the start, or `restoreFrom`, if none completed). Records already delivered to
   * a collect sink stay delivered (at-least-once). Default: `restarts.none()`, or, when
   * `checkpointIntervalMs` is set, `restarts.fixedDelay({ attempts: 3, delayMs: 1000 })`.
   */
  restart?: RestartStrategy;
  /**
   * An actor that stays in one step (one call into user code) longer than this many milliseconds
   * counts as a failure: its worker thread is terminated and replaced, and `restart` applies. Steps
   * are timed on the system clock (checked on the job's clock, every `actorTimeoutMs / 2`). Default:
   * none (a step may take as long as it takes; `metrics()` reports it `stuck` after a second).
   */
  actorTimeoutMs?: number;
  /**
   * Poison records: a record that fails the same operator (its user function throws on it) on
   * `after` attempts in a row is poison. `policy: 'fail'` fails the job at once with
   * WEIR_E_POISON_RECORD, naming the record, whatever restarts are left; `policy: 'skip'` restarts
   * the job once more, its actors passing over every record equal to it at that operator, and sends
   * it with its error to `handle.deadLetters()`. Default `{ after: 3, policy: 'fail' }`.
   */
  poison?: PoisonOptions;
}

export type ResolvedOptions = Required<Omit<RunOptions, 'workerMemoryMb' | 'params' | 'checkpointIntervalMs' | 'restoreFrom' | 'actorTimeoutMs' | 'poison'>> & {
  poison: ResolvedPoison;
  actorTimeoutMs: number | undefined;
  workerMemoryMb: number | undefined;
  params: unknown;
  checkpointIntervalMs: number | undefined;
  restoreFrom: CompletedCheckpoint | string | undefined;
};

/** Options once a savepoint named by `restoreFrom` has been read (see `startJob`). */
export type LoadedOptions = Omit<ResolvedOptions, 'restoreFrom'> & { restoreFrom: CompletedCheckpoint | undefined };

const wholeNumber = (option: string, value: unknown, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidOption(option, value, `a whole number from ${min} to ${max}`);
  }
  return value;
};

const boolean = (option: string) => (value: unknown): boolean => {
  if (typeof value !== 'boolean') throw errors.invalidOption(option, value, 'true or false');
  return value;
};

/** Options that belong to a job (those of `Runtime.run`). */
export const JOB_OPTIONS = [
  'parallelism',
  'workers',
  'maxParallelism',
  'mailboxCapacity',
  'mailboxBytes',
  'batchSize',
  'batchBytes',
  'bufferTimeoutMs',
  'watermarkIntervalMs',
  'collectCapacity',
  'collectBytes',
  'chaining',
  'checkRecords',
  'params',
  'clock',
  'checkpointIntervalMs',
  'checkpointTimeoutMs',
  'checkpointsRetained',
  'restoreFrom',
  'allowNonRestoredState',
  'restart',
  'actorTimeoutMs',
  'poison',
] as const satisfies readonly (keyof RunOptions)[];

/** Options of `run()`: a job's, and its threads' memory. */
export const RUN_OPTIONS = [...JOB_OPTIONS, 'workerMemoryMb'] as const satisfies readonly (keyof RunOptions)[];

/** Throws unless `options` is a plain options object (or undefined) with known keys only. */
export function checkOptionsObject(options: unknown, known: readonly string[], example: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw errors.invalidOption('options', options, `an object such as ${example}`);
  }
  for (const key of Object.keys(options)) if (!known.includes(key)) throw errors.unknownOption(key, known);
  return options as Record<string, unknown>;
}

/**
 * Validates options, fills in defaults, and says exactly which option is wrong and what is allowed.
 * `defaultWorkers` is the machine's cores for `run()`, and a runtime's thread count for `Runtime.run`;
 * `known` the options the caller takes.
 */
export function resolveOptions(options: unknown, defaultWorkers = availableParallelism(), known: readonly string[] = RUN_OPTIONS): ResolvedOptions {
  const o = checkOptionsObject(options, known, '{ parallelism: 2 }');
  const pick = <T>(key: (typeof RUN_OPTIONS)[number], fallback: T, check: (v: unknown) => T): T =>
    o[key] === undefined ? fallback : check(o[key]);

  const maxParallelism = pick('maxParallelism', DEFAULT_MAX_PARALLELISM, (v) => wholeNumber('maxParallelism', v, 1, 32768));
  const workers = pick('workers', defaultWorkers, (v) => wholeNumber('workers', v, 1, 256));
  const parallelism = pick('parallelism', workers, (v) => wholeNumber('parallelism', v, 1, maxParallelism));
  const params = o['params'];
  if (params !== undefined) checkParams(params);
  const restart = pick('restart', o['checkpointIntervalMs'] === undefined ? restarts.none() : DEFAULT_RESTART_WITH_CHECKPOINTS, checkRestart);
  return {
    parallelism,
    workers,
    maxParallelism,
    mailboxCapacity: pick('mailboxCapacity', 16, (v) => wholeNumber('mailboxCapacity', v, 1, 1024)),
    mailboxBytes: pick('mailboxBytes', 8 * MiB, (v) => wholeNumber('mailboxBytes', v, 1024, 2 ** 40)),
    batchSize: pick('batchSize', 4096, (v) => wholeNumber('batchSize', v, 1, 65536)),
    batchBytes: pick('batchBytes', MiB, (v) => wholeNumber('batchBytes', v, 1024, 2 ** 40)),
    bufferTimeoutMs: pick('bufferTimeoutMs', 10, (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 60_000) {
        throw errors.invalidOption('bufferTimeoutMs', v, 'a number of milliseconds from 0 to 60000');
      }
      return v;
    }),
    watermarkIntervalMs: pick('watermarkIntervalMs', 200, (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 3_600_000) {
        throw errors.invalidOption('watermarkIntervalMs', v, 'a number of milliseconds from 1 to 3600000');
      }
      return v;
    }),
    collectCapacity: pick('collectCapacity', 256, (v) => wholeNumber('collectCapacity', v, 1, 1 << 20)),
    collectBytes: pick('collectBytes', 32 * MiB, (v) => wholeNumber('collectBytes', v, 1024, 2 ** 40)),
    chaining: pick('chaining', true, boolean('chaining')),
    checkRecords: pick('checkRecords', false, boolean('checkRecords')),
    workerMemoryMb: pick('workerMemoryMb', undefined as number | undefined, (v) => wholeNumber('workerMemoryMb', v, 16, 1 << 20)),
    clock: pick('clock', systemClock, (v) => {
      const c = v as Partial<Clock>;
      if (typeof c !== 'object' || c === null || typeof c.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
        throw errors.invalidOption('clock', v, 'an object with now(), setTimeout() and clearTimeout(), such as a ManualClock');
      }
      return v as Clock;
    }),
    checkpointIntervalMs: pick('checkpointIntervalMs', undefined as number | undefined, milliseconds('checkpointIntervalMs', 1)),
    checkpointTimeoutMs: pick('checkpointTimeoutMs', 60_000, milliseconds('checkpointTimeoutMs', 1)),
    checkpointsRetained: pick('checkpointsRetained', 2, (v) => wholeNumber('checkpointsRetained', v, 1, 100)),
    restoreFrom: pick('restoreFrom', undefined as CompletedCheckpoint | string | undefined, (v) => {
      if (typeof v === 'string' && v.trim() !== '') return v;
      const c = v as Partial<CompletedCheckpoint> | null;
      if (typeof c !== 'object' || c === null || c.format !== 'weir-checkpoint' || typeof c.operators !== 'object') {
        throw errors.invalidOption('restoreFrom', v, 'a completed checkpoint, as handle.checkpoint() resolves it or handle.checkpoints() lists it, or the directory of a savepoint');
      }
      return c as CompletedCheckpoint;
    }),
    allowNonRestoredState: pick('allowNonRestoredState', false, boolean('allowNonRestoredState')),
    restart,
    actorTimeoutMs: pick('actorTimeoutMs', undefined as number | undefined, milliseconds('actorTimeoutMs', 10)),
    poison: pick('poison', { after: 3, policy: 'fail' } as ResolvedPoison, (v) => checkPoison(v, restart)),
    params,
  };
}

/** What `handle.stop()` takes: `savepoint`, the directory to write the final checkpoint to. */
export function resolveStopOptions(options: unknown): { savepoint: string | undefined } {
  const o = checkOptionsObject(options, ['savepoint'], "{ savepoint: 'savepoints/run-1' }");
  const savepoint = o['savepoint'];
  if (savepoint !== undefined && (typeof savepoint !== 'string' || savepoint.trim() === '')) {
    throw errors.invalidOption('savepoint', savepoint, 'the path of a directory that does not exist yet (or is empty)');
  }
  return { savepoint };
}

/** The restart strategy of a job that takes periodic checkpoints and sets none. */
export const DEFAULT_RESTART_WITH_CHECKPOINTS: RestartStrategy = restarts.fixedDelay({ attempts: 3, delayMs: 1000 });

/** A strategy made by `restarts.*` (or written as the same plain data): checked again by its maker. */
function checkRestart(v: unknown): RestartStrategy {
  const s = v as Partial<RestartStrategy> | null;
  const allowed = 'a restart strategy: restarts.none(), restarts.fixedDelay({ attempts, delayMs }), restarts.exponentialBackoff({ ... }) or restarts.failureRate({ ... })';
  if (typeof s !== 'object' || s === null) throw errors.invalidOption('restart', v, allowed);
  const { type, ...rest } = s as RestartStrategy & Record<string, unknown>;
  switch (type) {
    case 'none':
      if (Object.keys(rest).length > 0) throw errors.invalidOption('restart', v, allowed);
      return restarts.none();
    case 'fixed-delay':
      return restarts.fixedDelay(rest as Parameters<typeof restarts.fixedDelay>[0]);
    case 'exponential-backoff':
      return restarts.exponentialBackoff(rest as Parameters<typeof restarts.exponentialBackoff>[0]);
    case 'failure-rate':
      return restarts.failureRate(rest as Parameters<typeof restarts.failureRate>[0]);
    default:
      throw errors.invalidOption('restart', v, allowed);
  }
}

/** `poison`: its two options checked; skipping needs a restart, so a job without restarts cannot skip. */
function checkPoison(v: unknown, restart: RestartStrategy): ResolvedPoison {
  const o = checkOptionsObject(v, ['after', 'policy'], "{ after: 3, policy: 'skip' }");
  const after = o['after'] === undefined ? 3 : wholeNumber('poison.after', o['after'], 1, 1000);
  const policy = o['policy'] ?? 'fail';
  if (policy !== 'fail' && policy !== 'skip') throw errors.invalidOption('poison.policy', policy, "'fail' or 'skip'");
  if (policy === 'skip' && restart.type === 'none') {
    throw errors.invalidOption('poison.policy', policy, "'fail', or 'skip' with a restart strategy (e.g. restart: restarts.fixedDelay({ attempts: 5, delayMs: 100 })): a poison record is skipped by restarting the job without it");
  }
  return { after, policy };
}

/** A number of milliseconds of the job's clock, from `min` to a day. */
const milliseconds = (option: string, min: number) => (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > 86_400_000) {
    throw errors.invalidOption(option, v, `a number of milliseconds from ${min} to 86400000`);
  }
  return v;
};

function checkParams(params: unknown): void {
  let bad;
  try {
    bad = findNonJson(params);
  } catch (cause) {
    if (cause instanceof RangeError) throw errors.paramsNotJson('params', 'is nested too deeply to walk');
    throw cause;
  }
  if (!bad) return;
  if ('cycleTo' in bad) throw errors.paramsCycle(bad.path, bad.cycleTo);
  throw errors.paramsNotJson(bad.path, bad.reason);
}
