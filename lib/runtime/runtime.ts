import { errors } from '../errors.ts';
import type { JobHandle } from './job-handle.ts';
import type { Clock } from '../util/clock.ts';
import { checkOptionsObject, JOB_OPTIONS, resolveOptions, type RunOptions } from './options.ts';
import { startJob } from './run.ts';
import type { ThreadPool } from './thread-pool.ts';

/** Options of a `Runtime`: its threads, shared by the jobs it runs. */
export interface RuntimeOptions {
  /** Worker threads the runtime keeps. Default: the machine's available cores. */
  workers?: number;
  /** Old-generation heap limit of each worker thread in MiB; a worker above it dies and fails its job. */
  workerMemoryMb?: number;
  /** The clock of the runtime's grace periods, and its jobs' default clock (see `RunOptions.clock`). */
  clock?: Clock;
}

/** Options of `Runtime.run`: those of `run()`, but threads and their memory belong to the runtime. */
export type JobOptions<P = unknown> = Omit<RunOptions<P>, 'workerMemoryMb'>;

/**
 * Worker threads kept for many jobs, for a daemon that starts and stops jobs. `run()` starts threads
 * for one job and ends them with it; a runtime starts them once, so a job starts in milliseconds
 * and runs code V8 has already compiled. Each running job holds `workers` threads of its own
 * until it ends; `close()` cancels what still runs and ends the threads.
 *
 * @example
 * ```ts
 * const runtime = new Runtime({ workers: 2 });
 * for (const day of ['2026-11-23', '2026-11-24']) {
 *   const handle = await runtime.run(new URL('./report.ts', import.meta.url), { params: { day } });
 *   await handle.done;
 * }
 * await runtime.close();
 * ```
 */
export class Runtime {
  /** Worker threads of this runtime. */
  readonly workers: number;
  readonly #pool: Promise<ThreadPool>;
  readonly #jobs = new Set<JobHandle>();
  #closed: Promise<void> | undefined;

  readonly #clock: Clock;

  constructor(options: RuntimeOptions = {}) {
    const { workers, workerMemoryMb, clock } = checkOptionsObject(options, ['workers', 'workerMemoryMb', 'clock'], '{ workers: 2 }');
    // The same checks and defaults as run()'s options of the same names.
    const resolved = resolveOptions({ workers, workerMemoryMb, clock });
    this.workers = resolved.workers;
    this.#clock = resolved.clock;
    // Started now, so that the threads are up by the time the first job comes.
    this.#pool = import('./thread-pool.ts').then(({ ThreadPool }) => new ThreadPool(this.workers, resolved.workerMemoryMb, false, this.#clock));
  }

  /**
   * Runs a job on this runtime's threads and resolves once it is running, as `run()` does. Its
   * `workers` default to all of the runtime's threads, and must be free: refused otherwise.
   */
  async run<P = unknown>(module: string | URL, options: JobOptions<P> = {}): Promise<JobHandle> {
    if (this.#closed) throw errors.runtimeClosed();
    if (typeof options === 'object' && options !== null && (options as RunOptions).workerMemoryMb !== undefined) {
      throw errors.invalidOption('workerMemoryMb', (options as RunOptions).workerMemoryMb, 'none here: it is set on the runtime, new Runtime({ workerMemoryMb })');
    }
    const given = checkOptionsObject(options, JOB_OPTIONS, '{ parallelism: 2 }');
    const resolved = resolveOptions({ clock: this.#clock, ...given }, this.workers, JOB_OPTIONS);
    if (resolved.workers > this.workers) {
      throw errors.invalidOption('workers', resolved.workers, `at most the runtime's ${this.workers} threads`);
    }
    const handle = await startJob(module, resolved, () => this.#pool);
    this.#jobs.add(handle);
    const forget = () => this.#jobs.delete(handle);
    handle.done.then(forget, forget);
    return handle;
  }

  /** Cancels the jobs still running, then ends every thread. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all([...this.#jobs].map((job) => job.cancel().catch(() => {})));
      await (await this.#pool).destroy();
    })();
    return this.#closed;
  }
}
