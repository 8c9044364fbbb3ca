import type { Remote } from 'comlink';
import { randomUUID } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import { comlink, xstate } from '../util/packages.ts';
import { whenClosed } from '../channel/port-channel.ts';
import { errors } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import { boardLayout, newBoard, readBoard, type BoardLayout } from '../metrics/board.ts';
import { jobMetrics, type JobMetrics } from './job-metrics.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { DeploySpec, HostApi, HostEvent, HostOutcome, RebuildSpec } from '../protocol/control.ts';
import { deserializeError, installErrorWire } from '../protocol/error-wire.ts';
import { CallGuard } from '../util/call-guard.ts';
import { ManualClock, systemClock, type Clock } from '../util/clock.ts';
import { jobMachine, type JobStatus } from './job-machine.ts';
import type { LoadedOptions } from './options.ts';
import { OutputStream } from './output-stream.ts';
import { RegionRestarts, type RestartScope } from './region-restart.ts';
import { createPorts } from './attempt-ports.ts';
import { Ingress, type JobInput } from './ingress.ts';
import type { HostLease, ThreadPool } from './thread-pool.ts';
import { operatorKey, type CompletedCheckpoint } from '../checkpoint/checkpoint.ts';
import { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.ts';
import { toWire } from '../checkpoint/serialized-stage.ts';
import { newSplitCounter } from '../checkpoint/split-claims.ts';
import { JobSupervisor, Watchdog, type RecoveredEvent, type RestartingEvent } from '../supervision/job-supervisor.ts';
import type { DeadLetter } from '../supervision/poison-records.ts';
import { WorkerSupervisor } from '../supervision/worker-supervisor.ts';

installErrorWire();

interface HostHandle {
  readonly api: Remote<HostApi>;
  readonly control: MessagePort;
  readonly closed: Promise<void>;
  /** Removes the coordinator's listener of the host's events: a listener left on the port kept the whole coordinator alive after its job. */
  readonly unlisten: () => void;
}

/** What the coordinator tells the job handle. */
export interface CoordinatorEvents {
  finished(metrics: JobMetrics): void;
  failed(error: Error): void;
  cancelled(metrics: JobMetrics): void;
  stopped(metrics: JobMetrics): void;
  checkpoint?(checkpoint: CompletedCheckpoint): void;
  checkpointAbandoned?(id: number, error: Error): void;
  restarting?(event: RestartingEvent): void;
  recovered?(event: RecoveredEvent): void;
}

/**
 * Runs one job: places one long-lived host per worker on threads of the pool, creates a
 * MessagePort pair for every channel the plan has cross threads (data flows worker to worker, never
 * through here) and a metrics board per worker, deploys, starts, watches for completion or failure,
 * and gives every thread back and closes every port at the end. The job machine decides which of
 * these steps may happen next.
 *
 * A failure of the running job goes to the job supervisor: if its restart strategy allows, this
 * attempt's hosts are shut down (a stuck one loses its thread, a dead one is replaced by the pool),
 * its ports closed and its in-flight batches dropped, and after the strategy's delay on the job's
 * clock the job is deployed again on fresh ports, restored from its last completed checkpoint.
 * Callbacks of an earlier attempt are told apart by its number and ignored.
 *
 * A failure pinned on one actor of a job of several pipelined regions (see region-restart.ts)
 * restarts that region only, in place: the hosts cancel its actors and close its channels, and after
 * the delay build them again on fresh ports from the checkpoint, while the other regions run on;
 * only its collect outputs abort what they had not committed. Checkpoints stay the job's: the one
 * in progress is abandoned, the next covers every region again.
 */
export class Coordinator {
  readonly #lifecycle = xstate.createActor(jobMachine).start();
  readonly #hosts: HostHandle[] = [];
  readonly #outputs = new Map<string, OutputStream<unknown>>();
  /** Poison records the job skipped (`poison.policy: 'skip'`), sent here when the supervisor names them: once each, however often they are replayed. */
  readonly #deadLetters: OutputStream<DeadLetter>;
  /** Keys of the sources' dead letters sent so far (see `SourceContext.deadLetter`). */
  readonly #deadLetterKeys = new Set<string>();
  /** This run's identity, the same for every attempt (see `OperatorContext.jobId`). */
  readonly #jobId = randomUUID();
  #boards: { buffer: SharedArrayBuffer; layout: BoardLayout }[];
  readonly #startedAt: number;
  #endedAt: number | undefined;
  #leases: HostLease[] = [];
  /** The current attempt's supervisor of each thread, by worker index. */
  #workers: WorkerSupervisor<HostLease>[] = [];
  #failure: Error | undefined;
  /** Every wait on a host goes through it: a worker that died, or whose port was closed, never answers. */
  #calls = new CallGuard();
  /** The attempt running now (0 for the first deployment); a callback of an older one is ignored. */
  #attempt = 0;
  /** Counts builds of the hosts' actors, attempts and regions rebuilt in place: a completion of an earlier one is stale. */
  #epoch = 0;
  readonly #regions: RegionRestarts;
  readonly #supervisor: JobSupervisor;
  readonly #watchdog: Watchdog | undefined;
  /** Ends the wait for a restart's delay early (the job is cancelled meanwhile). */
  #endDelay: (() => void) | undefined;
  #delayTimer: ReturnType<Clock['setTimeout']> | undefined;
  /** A failed attempt being torn down: the job's release waits for it (its threads go back to the pool first). */
  #stopping: Promise<void> | undefined;
  /** The release in progress once the job fails, is cancelled or finishes. */
  #teardown: Promise<void> | undefined;
  #unsubscribeClock: () => void = () => {};
  /** The shared split counter of each source node, by node id (restored from a checkpoint, if any). */
  readonly #splitCounters: Record<number, SharedArrayBuffer> = {};
  readonly #checkpoints: CheckpointCoordinator;
  /** The daemon inputs' logs (`sources.input`), which outlive attempts and region restarts. */
  readonly #ingress: Ingress;

  constructor(
    readonly moduleUrl: string,
    readonly graph: LogicalGraph,
    readonly plan: PhysicalPlan,
    readonly options: LoadedOptions,
    private readonly pool: ThreadPool,
    private readonly clock: Clock,
    private readonly events: CoordinatorEvents,
  ) {
    this.#startedAt = clock.now();
    this.#boards = this.#newBoards();
    this.#regions = new RegionRestarts(graph, plan);
    this.#resetSplitCounters(options.restoreFrom, this.#regions.wholeJob);
    this.#ingress = new Ingress(graph, plan, options.checkpointIntervalMs !== undefined, options.restoreFrom);
    this.#supervisor = new JobSupervisor(graph.job, options.restart, clock, options.poison);
    this.#deadLetters = new OutputStream<DeadLetter>(graph.job, 'dead letters', []);
    if (options.actorTimeoutMs !== undefined) {
      this.#watchdog = new Watchdog(plan, options.actorTimeoutMs, clock, ({ worker, error }) => this.#workers[worker]?.stuck(error));
    }
    this.#checkpoints = new CheckpointCoordinator({
      graph,
      plan,
      clock,
      intervalMs: options.checkpointIntervalMs,
      timeoutMs: options.checkpointTimeoutMs,
      retained: options.checkpointsRetained,
      splitCounters: this.#splitCounters,
      // Complete once every actor cut its state and every record before the barrier reached the collect sinks' consumers here.
      collect: async (id, stop) => {
        if (this.status !== 'running') throw errors.checkpointRefused(graph.job, this.status);
        const [snapshots] = await Promise.all([
          this.#calls.call(Promise.all(this.#hosts.map(({ api }) => api.checkpoint(id, stop)))),
          this.#calls.call(Promise.all([...this.#outputs.values()].map((o) => o.barrier(id)))),
        ]);
        return snapshots;
      },
      abort: (id) => {
        for (const { api } of this.#hosts) this.#calls.call(api.abortCheckpoint(id)).catch(() => {});
      },
      onCompleted: (checkpoint) => {
        // Exactly-once collect sinks hand what the checkpoint covers to their consumers; the workers'
        // two-phase sinks commit, and their sources acknowledge what it covers.
        for (const output of this.#outputs.values()) output.commit(checkpoint.id);
        this.#ingress.checkpointCompleted(checkpoint);
        for (const { api } of this.#hosts) this.#calls.call(api.checkpointComplete(checkpoint.id)).catch(() => {});
        events.checkpoint?.(checkpoint);
      },
      onAbandoned: (id, error) => events.checkpointAbandoned?.(id, error),
    });
  }

  /** Takes a checkpoint now (see `JobHandle.checkpoint`). */
  checkpoint(): Promise<CompletedCheckpoint> {
    if (this.status !== 'running') return Promise.reject(errors.checkpointRefused(this.graph.job, this.status));
    return this.#checkpoints.trigger();
  }

  /** The newest completed checkpoints, oldest first. */
  checkpoints(): CompletedCheckpoint[] {
    return [...this.#checkpoints.completed];
  }

  get status(): JobStatus {
    return this.#lifecycle.getSnapshot().value as JobStatus;
  }

  output(name: string): OutputStream<unknown> {
    const stream = this.#outputs.get(name);
    if (!stream) throw errors.unknownOutput(this.graph.job, name, [...this.#outputs.keys()]);
    return stream;
  }

  /** The daemon input `name` (see `JobHandle.input`). */
  input<T>(name: string): JobInput<T> {
    return this.#ingress.input<T>(name);
  }

  get inputNames(): string[] {
    return this.#ingress.names;
  }

  /** The poison records the job skipped and the inputs its sources could not read, with their errors (see `JobHandle.deadLetters`). */
  deadLetters(): OutputStream<DeadLetter> {
    return this.#deadLetters;
  }

  /** What a host sent unasked (see `HostEvent`): a source's dead letter, once per key however often a replay sends it. */
  #onHostEvent(attempt: number, event: Partial<HostEvent> | undefined): void {
    if (event?.weir !== 'dead-letter' || attempt !== this.#attempt || !event.letter) return;
    const { record, reason, key, at } = event.letter;
    if (this.#deadLetterKeys.has(key)) return;
    this.#deadLetterKeys.add(key);
    const subtask = `${at.subtaskIndex + 1}/${at.parallelism}`;
    this.#deadLetters.push([{ record, error: { message: reason, operator: at.operator, subtask, attempts: 1, kind: 'malformed' } }]);
  }

  /** Deploys and starts the job; rejects (after releasing everything) if deployment fails. */
  async start(): Promise<void> {
    this.#lifecycle.send({ type: 'DEPLOY' });
    const { workers } = this.options;
    if (workers > this.pool.free) {
      const error = errors.notEnoughThreads(this.graph.job, workers, this.pool.free, this.pool.size);
      await this.#fail(error);
      throw error;
    }
    // On a ManualClock (tests) the workers' clocks are manual too, and move when it moves.
    if (this.clock instanceof ManualClock) {
      this.#unsubscribeClock = this.clock.onAdvance((now) => {
        for (const { api } of this.#hosts) this.#calls.call(api.advanceClock(now)).catch(() => {});
      });
    }
    try {
      await this.#deployAttempt(this.options.restoreFrom);
      if (this.status !== 'deploying') throw this.#terminalError();
    } catch (error) {
      await this.#fail(error as Error);
      throw this.#failure ?? error;
    }
    this.#lifecycle.send({ type: 'DEPLOYED' });
    // Deployed: from here on, a failure is the job's and reaches `done`, even one that comes while
    // the hosts are still being told to start (records may already flow on the first worker).
    await this.#startAttempt();
  }

  /** Leases threads, makes the attempt's ports, boards and split counters, and deploys a host on each thread. */
  async #deployAttempt(restore: CompletedCheckpoint | undefined): Promise<void> {
    const attempt = this.#attempt;
    const { workers } = this.options;
    // A thread that dies under one of this job's hosts fails this job (this attempt of it), and no other.
    this.#leases = this.pool.lease(workers, (w, error) => this.#workers[w]?.died(errors.workerDied(this.graph.job, w, error)));
    this.#workers = this.#leases.map((lease, w) => new WorkerSupervisor(w, lease, (error) => this.#onFailure(attempt, error)));
    const ports = this.#createPorts(attempt, this.#regions.wholeJob);
    const ingress = this.#ingress.ports(this.plan.workers);
    const from = this.#startingPoint(restore);
    for (const { control } of this.#leases) {
      const listener = (event: Event) => this.#onHostEvent(attempt, (event as MessageEvent).data);
      control.addEventListener('message', listener);
      this.#hosts.push({
        api: comlink.wrap<HostApi>(control as unknown as Parameters<typeof comlink.wrap>[0]),
        control,
        closed: whenClosed(control),
        unlisten: () => control.removeEventListener('message', listener),
      });
    }
    await this.#calls.call(
      Promise.all(
        this.#hosts.map(({ api }, w) => {
          const spec: DeploySpec = {
            moduleUrl: this.moduleUrl,
            params: this.options.params,
            jobId: this.#jobId,
            plan: this.plan,
            graph: this.graph.describe(),
            fingerprint: this.graph.fingerprint(),
            workerIndex: w,
            batchSize: this.options.batchSize,
            bufferTimeoutMs: this.options.bufferTimeoutMs,
            watermarkIntervalMs: this.options.watermarkIntervalMs,
            clock: this.clock instanceof ManualClock ? { manual: true, now: this.clock.now() } : { manual: false },
            checkRecords: this.options.checkRecords,
            board: this.#boards[w]!.buffer,
            ports: ports[w]!,
            ...ingressOf(ingress[w]!),
            ...from,
          };
          return api.deploy(comlink.transfer(spec, [...Object.values(ports[w]!), ...Object.values(ingress[w]!)] as never)).then(() => this.#workers[w]?.deployed());
        }),
      ),
    );
  }

  /**
   * The attempt (or the regions of `scope`, rebuilt in place) is deployed and `running`: watch it,
   * start its actors, the checkpoints and, for a new attempt, the watchdog on its fresh boards.
   */
  async #startAttempt(scope: RestartScope = this.#regions.wholeJob): Promise<void> {
    const attempt = this.#attempt;
    void this.#watch(attempt, ++this.#epoch);
    if (scope.wholeJob) this.#watchdog?.start(this.#boards);
    const chains = scope.wholeJob ? undefined : scope.chains;
    await this.#calls.call(Promise.all(this.#hosts.map(({ api }) => api.start(chains)))).catch((error: Error) => this.#onFailure(attempt, error));
    if (attempt === this.#attempt && this.status === 'running') this.#checkpoints.start();
  }

  /**
   * A failure of attempt `attempt`. While the job runs, the supervisor decides; while it restarts,
   * the redeployment is abandoned with the error (and the supervisor decides again); before the job
   * ever ran, the job fails.
   */
  #onFailure(attempt: number, error: Error, chain?: number): void {
    if (attempt !== this.#attempt) return;
    const status = this.status;
    if (status === 'running') void this.#restart(error, this.#regions.scopeOf(chain));
    else if (status === 'restarting') this.#calls.abandon(error);
    else void this.#fail(error);
  }

  /**
   * Tears the failed attempt (or the failed regions of `scope`) down and, as long as the strategy
   * allows, deploys the job (or builds the regions) again from the last completed checkpoint. A
   * failure while regions restart in place restarts the whole job.
   */
  async #restart(error: Error, scope: RestartScope): Promise<void> {
    const failedAt = this.clock.now();
    let cause = error;
    for (;;) {
      const verdict = this.#supervisor.onFailure(cause);
      // The failed attempt is torn down either way (a stuck thread terminated at once); a job that
      // gives up is `failing` from now on, and its release waits for this.
      const inPlace = verdict.restart && !scope.wholeJob;
      this.#stopping = inPlace ? this.#stopRegions(scope, cause) : this.#stopAttempt(cause);
      if (!verdict.restart) return this.#fail(verdict.error);
      if (verdict.deadLetter) this.#deadLetters.push([verdict.deadLetter]);
      if (this.status === 'running') this.#lifecycle.send({ type: 'RESTART' });
      const stopped = await this.#stopping.then(() => undefined, (failure: Error) => failure);
      this.#stopping = undefined;
      if (this.status !== 'restarting') return;
      if (stopped) {
        [cause, scope] = [stopped, this.#regions.wholeJob];
        continue;
      }
      const from = this.#checkpoints.completed.at(-1);
      const restore = from ?? this.options.restoreFrom;
      const restarted = { wholeJob: scope.wholeJob, operators: scope.operators, ...(from ? { fromCheckpoint: from.id } : {}) };
      this.events.restarting?.({ attempt: verdict.attempt, cause, delayMs: verdict.delayMs, ...restarted });
      await this.#delay(verdict.delayMs);
      if (this.status !== 'restarting') return;
      if (scope.wholeJob) this.#boards = this.#newBoards();
      this.#resetSplitCounters(restore, scope);
      try {
        await (scope.wholeJob ? this.#deployAttempt(restore) : this.#rebuildRegions(scope, restore));
      } catch (failure) {
        if (this.status !== 'restarting') return;
        [cause, scope] = [failure as Error, this.#regions.wholeJob];
        continue;
      }
      if (this.status !== 'restarting') return;
      this.#lifecycle.send({ type: 'DEPLOYED' });
      this.events.recovered?.({ attempt: verdict.attempt, recoveryMs: this.clock.now() - failedAt, ...restarted });
      await this.#startAttempt(scope);
      return;
    }
  }

  /**
   * Ends the regions of `scope` on the running hosts: the watch of their build is stale, the
   * checkpoint in progress abandoned, their actors cancelled and their channels closed (batches in
   * flight dropped with them), their collect outputs' uncommitted records aborted.
   */
  async #stopRegions(scope: RestartScope, cause: Error): Promise<void> {
    this.#epoch++;
    this.#checkpoints.pause(`operators ${scope.operators.join(', ')} restart after a failure: ${cause.message}`);
    const closed = scope.outputs.map((name) => this.#outputs.get(name)!.detach());
    closed.push(this.#ingress.detach(scope.chainSet));
    await this.#calls.call(Promise.all(this.#hosts.map(({ api }) => api.teardown(scope.chains))));
    await Promise.all(closed);
  }

  /** Builds the regions of `scope` again on every host, on fresh ports, each actor from its share of `restore`. */
  async #rebuildRegions(scope: RestartScope, restore: CompletedCheckpoint | undefined): Promise<void> {
    const ports = this.#createPorts(this.#attempt, scope);
    const ingress = this.#ingress.ports(this.plan.workers, scope.chainSet);
    const from = this.#startingPoint(restore);
    const rebuilt = this.#hosts.map(({ api }, w) => {
      const spec: RebuildSpec = { chains: scope.chains, ports: ports[w]!, ...ingressOf(ingress[w]!), ...from };
      return api.rebuild(comlink.transfer(spec, [...Object.values(ports[w]!), ...Object.values(ingress[w]!)] as never));
    });
    await this.#calls.call(Promise.all(rebuilt));
  }

  /** Where actors start, deployed or rebuilt: the split counters, `restore` serialized (each worker decodes its share only), the poison records to pass over. */
  #startingPoint(restore: CompletedCheckpoint | undefined): Pick<RebuildSpec, 'splitCounters' | 'restore' | 'poison'> {
    const poison = this.#supervisor.skipped;
    return {
      splitCounters: this.#splitCounters,
      ...(restore ? { restore: toWire(restore) } : {}),
      ...(Object.keys(poison).length > 0 ? { poison } : {}),
    };
  }

  /**
   * Ends the current attempt: its calls are abandoned, its checkpoints abandoned, its hosts told to
   * shut down and their threads given back (the stuck one's terminated; a dead one the pool has
   * replaced), its ports closed (batches in flight are dropped with them).
   */
  async #stopAttempt(cause: Error): Promise<void> {
    this.#attempt++;
    this.#calls.abandon(cause);
    this.#calls = new CallGuard();
    this.#watchdog?.stop();
    this.#checkpoints.pause(`the job restarts after a failure: ${cause.message}`);
    const hosts = this.#hosts.splice(0);
    const leases = this.#leases;
    this.#leases = [];
    const workers = this.#workers;
    this.#workers = [];
    // A stuck host never answers `shutdown`: its thread is terminated at once, not after the grace.
    const terminate = workers.filter((w) => w.stop()).map((w) => w.lease);
    const closed = hosts.map((host) => host.closed);
    // The control ports stay open until the hosts returned: closing one right after `shutdown` can
    // drop the call, and the host would then keep its thread until the pool's grace period ends.
    for (const { api } of hosts) api.shutdown().catch(() => {});
    for (const output of this.#outputs.values()) closed.push(output.detach());
    closed.push(this.#ingress.detach());
    // Healthy hosts return within milliseconds; their grace runs on real time, so that a job clock
    // stepped fast (tests) does not cost them their threads (a fresh thread takes long to start).
    await this.pool.giveBack(leases, { keep: true, terminate, graceClock: systemClock });
    for (const worker of workers) worker.returned();
    for (const { control, unlisten } of hosts) {
      unlisten();
      control.close();
    }
    await Promise.all(closed);
  }

  /** Waits `ms` on the job's clock; a cancel ends the wait early. */
  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#endDelay = resolve;
      this.#delayTimer = this.clock.setTimeout(() => {
        this.#delayTimer = undefined;
        this.#endDelay = undefined;
        resolve();
      }, ms);
    });
  }

  /** Live figures, read from the workers' boards: no message, no wait, even while a worker is stuck. */
  metrics(): JobMetrics {
    const now = this.clock.now();
    const figures = this.#boards.map(({ buffer, layout }, w) => readBoard(buffer, layout, w));
    // How long a step has run is measured on the system clock: it is the only clock a worker has.
    const metrics = jobMetrics(this.plan, figures, this.status, (this.#endedAt ?? now) - this.#startedAt, systemClock.now());
    const last = this.#checkpoints.completed.at(-1);
    return last ? { ...metrics, lastCheckpoint: last.summary } : metrics;
  }

  cancel(): Promise<void> {
    return this.#end('CANCEL', this.events.cancelled);
  }

  /**
   * Stops the running job after a final checkpoint (see `JobHandle.stop`): the sources inject its
   * barrier and read nothing after it; once it completed and `keep` kept it (wrote the savepoint),
   * the job is released as `stopped`, with no end of input (windows still open stay in the
   * checkpoint). If the checkpoint is abandoned or `keep` throws, the sources read on and the job
   * keeps running; the error is thrown.
   */
  async stop(keep: (checkpoint: CompletedCheckpoint) => Promise<void>): Promise<CompletedCheckpoint> {
    if (this.status !== 'running') throw errors.stopRefused(this.graph.job, this.status);
    const final = this.#checkpoints.trigger(true);
    const id = this.#checkpoints.lastId;
    let checkpoint: CompletedCheckpoint;
    try {
      checkpoint = await final;
      await keep(checkpoint);
    } catch (error) {
      for (const { api } of this.#hosts) this.#calls.call(api.resumeSources(id)).catch(() => {});
      this.#checkpoints.resumeAfterStop();
      throw error;
    }
    await this.#end('STOP', this.events.stopped);
    return checkpoint;
  }

  /** Ends the job by `event` (cancel or stop) once; every caller waits for the same release. */
  #end(event: 'CANCEL' | 'STOP', report: (metrics: JobMetrics) => void): Promise<void> {
    if (this.#lifecycle.getSnapshot().can({ type: event })) {
      this.#lifecycle.send({ type: event });
      this.#calls.abandon(this.#terminalError());
      this.#teardown = (async () => {
        await this.#release();
        this.#lifecycle.send({ type: 'RELEASED' });
        report(this.metrics());
      })();
    }
    return this.#teardown ?? Promise.resolve();
  }

  /**
   * Waits for every host of attempt `attempt`, as built at `epoch`, to finish and every collect sink
   * to deliver its end of stream. A failure names the failed actor's chain when an actor failed.
   */
  async #watch(attempt: number, epoch: number): Promise<void> {
    const calls = this.#calls;
    const chainOf = new WeakMap<Error, number>();
    const outcomes = this.#hosts.map(({ api }) =>
      calls.call<HostOutcome>(api.completion()).then((outcome) => {
        if (outcome.status === 'finished') return;
        const error = deserializeError(outcome.error);
        if (outcome.chain !== undefined) chainOf.set(error, outcome.chain);
        throw error;
      }),
    );
    try {
      await Promise.all(outcomes);
      await Promise.all([...this.#outputs.values()].map((o) => o.whenEnded()));
    } catch (error) {
      if (epoch === this.#epoch) this.#onFailure(attempt, error as Error, chainOf.get(error as Error));
      return;
    }
    if (attempt !== this.#attempt || epoch !== this.#epoch || !this.#lifecycle.getSnapshot().can({ type: 'FINISHED' })) return;
    this.#lifecycle.send({ type: 'FINISHED' });
    // The end of a bounded job is final: exactly-once collect sinks deliver what is not committed yet.
    for (const output of this.#outputs.values()) output.finish();
    this.#teardown = (async () => {
      await this.#release();
      this.#lifecycle.send({ type: 'RELEASED' });
      this.events.finished(this.metrics());
    })();
  }

  /** Fails the job once; every caller waits for the same release. */
  #fail(error: Error): Promise<void> {
    if (this.#lifecycle.getSnapshot().can({ type: 'FAIL' })) {
      this.#lifecycle.send({ type: 'FAIL' });
      this.#failure = error;
      this.#calls.abandon(error);
      for (const output of this.#outputs.values()) output.fail(error);
      this.#deadLetters.fail(error);
      this.#teardown = (async () => {
        await this.#release();
        this.#lifecycle.send({ type: 'RELEASED' });
        this.events.failed(error);
      })();
    }
    return this.#teardown ?? Promise.resolve();
  }

  #terminalError(): Error {
    return this.#failure ?? new Error(`Job "${this.graph.job}" was ${this.status === 'stopping' ? 'stopped' : 'cancelled'}.`);
  }

  /**
   * Releases threads and ports, then lets the outputs' consumers see the end. Hosts are told to shut
   * down; a host stuck in user code loses its thread after the pool's grace period.
   */
  async #release(): Promise<void> {
    this.#endedAt = this.clock.now();
    this.#checkpoints.stop(`the job is ${this.status}`);
    this.#watchdog?.stop();
    if (this.#delayTimer !== undefined) this.clock.clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    this.#endDelay?.();
    this.#endDelay = undefined;
    this.#unsubscribeClock();
    // A job can finish before every host has answered `start` (a tiny job, done on the first worker
    // before the second one's answer came): closing the ports below means those answers never come,
    // so the calls still waiting end here instead of holding `run()` for ever.
    this.#calls.abandon(this.#failure ?? new Error(`Job "${this.graph.job}" has ended.`));
    // A port stays an active handle until its 'close' event, a turn after close(): wait for it, so
    // that when the job reports its end, nothing of it is left in this process.
    const closed = this.#hosts.map((host) => host.closed);
    for (const { api, control, unlisten } of this.#hosts) {
      api.shutdown().catch(() => {});
      unlisten();
      control.close();
    }
    for (const output of this.#outputs.values()) closed.push(output.close());
    closed.push(this.#ingress.close(this.#failure ?? new Error(`Job "${this.graph.job}" has ended (${this.status}): its inputs take no more records.`)));
    // Only when an attempt is being torn down: otherwise the grace period starts now, in this turn.
    if (this.#stopping) await this.#stopping.catch(() => {});
    await this.pool.giveBack(this.#leases);
    this.#leases = [];
    await Promise.all(closed);
    for (const output of this.#outputs.values()) output.settle();
    this.#deadLetters.settle();
  }

  /** The ports of `scope`'s channels (see attempt-ports.ts); a message that cannot be read on the coordinator's end fails attempt `attempt`. */
  #createPorts(attempt: number, scope: RestartScope): Record<number, MessagePort>[] {
    const { job } = this.graph;
    return createPorts(this.plan, scope, this.#outputs, {
      // Exactly-once output waiting for its checkpoint holds credit only if periodic checkpoints will free it.
      newOutput: (name, channels) => new OutputStream(job, name, channels, this.graph.egressDelivery(name), this.options.checkpointIntervalMs !== undefined),
      unreadable: (c) => (cause) => this.#onFailure(attempt, errors.messageUnreadable(job, `${c.fromName} to ${c.toName}`, cause)),
    });
  }

  /** A metrics board per worker: each attempt has fresh ones (its figures start from zero). */
  #newBoards(): { buffer: SharedArrayBuffer; layout: BoardLayout }[] {
    return Array.from({ length: this.plan.workers }, (_, w) => {
      const layout = boardLayout(this.plan, w);
      return { buffer: newBoard(layout), layout };
    });
  }

  /** The shared split counter of each source of `scope`, as `restore` saved it (fresh without one); the checkpoint coordinator reads the same record. */
  #resetSplitCounters(restore: CompletedCheckpoint | undefined, scope: RestartScope): void {
    for (const id of scope.sources) this.#splitCounters[id] = newSplitCounter(restore?.splits[operatorKey(this.graph.node(id))]);
  }
}

/** A worker's ends of the daemon inputs it reads, as a spec field (none: no field). */
const ingressOf = (ports: Record<string, MessagePort>): { ingress?: Record<string, MessagePort> } => (Object.keys(ports).length > 0 ? { ingress: ports } : {});
