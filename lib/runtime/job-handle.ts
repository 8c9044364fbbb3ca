import { EventEmitter } from 'eventemitter3';
import type { Coordinator } from './coordinator.ts';
import type { JobStatus } from './job-machine.ts';
import type { JobMetrics } from './job-metrics.ts';
import type { CheckpointSummary, CompletedCheckpoint } from '../checkpoint/checkpoint.ts';
import type { RecoveredEvent, RestartingEvent } from '../supervision/job-supervisor.ts';
import type { DeadLetter } from '../supervision/poison-records.ts';
import { checkSavepointTarget, writeSavepoint, type SavepointInfo } from '../checkpoint/savepoint-format.ts';
import { resolveStopOptions } from './options.ts';
import type { JobInput } from './ingress.ts';

/** How a job ended, when it did not fail. */
export interface JobResult {
  readonly job: string;
  readonly status: 'finished' | 'cancelled' | 'stopped';
  /** Final figures, taken just before the worker threads were released. */
  readonly metrics: JobMetrics;
}

/** What `stop()` resolves with: how the job ended, its final checkpoint, and where the savepoint went. */
export interface StopResult extends JobResult {
  /** The final checkpoint: the state after everything the sources emitted before they stopped. */
  readonly checkpoint: CompletedCheckpoint;
  /** With `stop({ savepoint })`: the directory it was written to (resolved), and its checkpoint id. */
  readonly savepoint?: SavepointInfo;
}

/** Events of a running job. */
export interface JobEvents {
  /** Every subtask is deployed and sources are reading. */
  running: [];
  finished: [result: JobResult];
  /** The job failed; every thread and port is already released. */
  failed: [error: Error];
  cancelled: [result: JobResult];
  /** The job was stopped after its final checkpoint (`stop()`); every thread and port is released. */
  stopped: [result: JobResult];
  /** A checkpoint completed: its id, duration, size and each actor's alignment time. */
  checkpoint: [summary: CheckpointSummary];
  /** A checkpoint was abandoned (timed out, or a subtask ended or failed first); nothing of it is kept. */
  checkpointAbandoned: [id: number, error: Error];
  /**
   * The running job failed and its restart strategy (`restart`) restarts it: the failed attempt is
   * torn down, and after `delayMs` on the job's clock the job is deployed again from checkpoint
   * `fromCheckpoint` (from the start when absent). Records already delivered by `output()` stay delivered.
   */
  restarting: [event: RestartingEvent];
  /** The restarted job runs again, `recoveryMs` after the failure (on the job's clock). */
  recovered: [event: RecoveredEvent];
}

/**
 * A job running in this process, returned by `run()`. A job's failure never throws out of the
 * host process: it rejects `done` and emits `failed`, and every thread, port and timer of the job
 * is released by then.
 *
 * @example
 * ```ts
 * const handle = await run(new URL('./vwap.ts', import.meta.url), { parallelism: 2 });
 * handle.on('failed', (e) => log.error(e.message));
 * for await (const row of handle.output<Vwap>('vwap')) publish(row);
 * const { metrics } = await handle.done;
 * ```
 */
export class JobHandle extends EventEmitter<JobEvents> {
  /** Resolves when the job finished or was cancelled; rejects with the job's error if it failed. */
  readonly done: Promise<JobResult>;
  readonly #coordinator: Coordinator;

  /** @internal created by `run()` */
  constructor(coordinator: Coordinator, done: Promise<JobResult>) {
    super();
    this.#coordinator = coordinator;
    this.done = done;
  }

  /** The job's name, from `job(name, …)`. */
  get name(): string {
    return this.#coordinator.graph.job;
  }

  /** Names of the job's collect sinks, each readable with `output(name)`. */
  get outputNames(): string[] {
    return this.#coordinator.graph.egressNames();
  }

  /** Names of the job's daemon inputs (`sources.input`), each writable with `input(name)`. */
  get inputNames(): string[] {
    return this.#coordinator.inputNames;
  }

  /**
   * The daemon input `name` of the job (`sources.input<T>(name)` in the job module): `write(record)`
   * resolves when the job has room for more, so a daemon that awaits it is paced by the job, never
   * buffered without bound; `end()` ends the input. With periodic checkpoints, what was written
   * since the last completed checkpoint is replayed after a restart: the job's state counts every
   * record once. Throws WEIR_E_UNKNOWN_INPUT for a name the job does not have.
   *
   * @example
   * ```ts
   * const orders = handle.input<Order>('orders');
   * for await (const order of incoming) await orders.write(order);
   * await orders.end();
   * ```
   */
  input<T = unknown>(name: string): JobInput<T> {
    return this.#coordinator.input<T>(name);
  }

  /** Where the job is in its lifecycle. */
  get status(): JobStatus {
    return this.#coordinator.status;
  }

  /** Stops the job and releases its threads; resolves with the cancelled result (or the earlier outcome). */
  async cancel(): Promise<JobResult> {
    await this.#coordinator.cancel();
    return this.done;
  }

  /**
   * Stops the job gracefully, as Flink's stop-with-savepoint: every source subtask injects the
   * barrier of a final checkpoint and reads nothing after it; once that checkpoint completed (and,
   * with `savepoint`, was written to that directory, which must not exist yet or be empty), the job
   * is released with status `stopped`. The end of input is not signalled: event-time windows still
   * open and timers not yet fired stay in the checkpoint, for a job restored from it (`run(module,
   * { restoreFrom: dir })`) to fire. Exactly-once collect sinks have delivered everything the
   * checkpoint covers. If the checkpoint is abandoned or cannot be written, the sources read on,
   * the job keeps running, and the promise rejects (WEIR_E_CHECKPOINT, WEIR_E_SAVEPOINT). A job
   * that ends meanwhile ends as it would have (`done` says how): `stop()` then resolves with that
   * status if its checkpoint completed first, and rejects if not.
   *
   * @example
   * ```ts
   * const { savepoint } = await handle.stop({ savepoint: 'savepoints/vwap-1' });
   * const resumed = await run(module, { parallelism: 3, restoreFrom: savepoint!.path });
   * ```
   */
  async stop(options?: { savepoint?: string }): Promise<StopResult> {
    const { savepoint: dir } = resolveStopOptions(options);
    // A path that cannot take the savepoint is refused before the job is touched.
    if (dir !== undefined) await checkSavepointTarget(this.name, dir);
    let savepoint: SavepointInfo | undefined;
    const checkpoint = await this.#coordinator.stop(async (c) => {
      if (dir !== undefined) savepoint = await writeSavepoint(dir, c);
    });
    const result = await this.done;
    return { ...result, checkpoint, ...(savepoint ? { savepoint } : {}) };
  }

  /**
   * Live figures per operator, channel and worker (final figures once the job ended). They are read
   * from memory the workers share with your process, so asking costs microseconds and never waits
   * for a worker, even one stuck in user code (`workers[i].stuck` then says where).
   */
  metrics(): Promise<JobMetrics> {
    return Promise.resolve(this.#coordinator.metrics());
  }

  /**
   * Takes a checkpoint now: every source subtask injects a barrier, every actor aligns its inputs
   * on it, cuts its state and acknowledges. Resolves with the completed checkpoint (plain data, kept
   * in this process: give it to `run(module, { restoreFrom })`); rejects with WEIR_E_CHECKPOINT if it
   * is abandoned (`checkpointTimeoutMs`, or a subtask failed first). Subtasks that finished (a
   * source that read its last record, and what only it fed) are recorded finished, as in Flink: a
   * job restored from the checkpoint starts them finished, so a bounded job is checkpointed to its end.
   *
   * @example
   * ```ts
   * const checkpoint = await handle.checkpoint();
   * await handle.cancel();
   * const resumed = await run(module, { parallelism: 3, restoreFrom: checkpoint });
   * ```
   */
  checkpoint(): Promise<CompletedCheckpoint> {
    return this.#coordinator.checkpoint();
  }

  /**
   * The newest completed checkpoints (`checkpointsRetained` of them), oldest first.
   *
   * @example
   * ```ts
   * const latest = handle.checkpoints().at(-1);
   * if (latest) await run(module, { restoreFrom: latest });
   * ```
   */
  checkpoints(): CompletedCheckpoint[] {
    return this.#coordinator.checkpoints();
  }

  /**
   * The records of the collect sink `name`, as they arrive. Ends when the job finishes, throws if it
   * fails. Reading slowly slows the job down (credit), it never drops records. One consumer per
   * output. Leaving the loop early (`break`, `return`, a throw) stops reading: the output's later
   * records are dropped, so that the job can go on and finish; `cancel()` it to stop it instead.
   */
  output<T = unknown>(name: string): AsyncIterableIterator<T> {
    return this.#coordinator.output(name).iterate() as AsyncIterableIterator<T>;
  }

  /**
   * The poison records the job skipped (`poison: { policy: 'skip' }`), each with its error, as the
   * supervisor names them: once each, however often a restart replays them. Ends when the job ends
   * (throws if it failed), like `output()`. One consumer; `T` is the type of the records at the
   * operator that failed on them.
   *
   * @example
   * ```ts
   * const handle = await run(module, { restart: restarts.fixedDelay({ attempts: 5, delayMs: 100 }), poison: { policy: 'skip' } });
   * for await (const { record, error } of handle.deadLetters<Order>()) log.warn(`${error.operator}: ${error.message}`, record);
   * ```
   */
  deadLetters<T = unknown>(): AsyncIterableIterator<DeadLetter<T>> {
    return this.#coordinator.deadLetters().iterate() as AsyncIterableIterator<DeadLetter<T>>;
  }

  /** All dead letters (see `deadLetters`), once the job has finished and released its threads. */
  collectedDeadLetters<T = unknown>(): Promise<DeadLetter<T>[]> {
    return this.#coordinator.deadLetters().collected() as Promise<DeadLetter<T>[]>;
  }

  /**
   * All records of the collect sink `name`, once the job has finished and released its threads
   * (rejects with the job's error once it has released them, if it failed).
   */
  collected<T = unknown>(name: string): Promise<T[]> {
    try {
      return this.#coordinator.output(name).collected() as Promise<T[]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
