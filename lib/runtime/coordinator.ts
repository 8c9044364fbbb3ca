import type { Remote } from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { comlink, xstate } from '../util/packages.ts';
import { PortInputChannel, whenClosed } from '../channel/port-channel.ts';
import { errors } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import { workerOf, type PhysicalPlan } from '../plan/physical-plan.ts';
import type { DeploySpec, HostApi, HostMetrics, HostOutcome } from './deploy-spec.ts';
import { jobMachine, type JobStatus } from './job-machine.ts';
import { aggregateMetrics, type JobMetrics } from './metrics.ts';
import type { ResolvedOptions } from './options.ts';
import { OutputStream } from './output-stream.ts';
import { deserializeError, type SerializedError } from './serialized-error.ts';
import type { HostLease, ThreadPool } from './thread-pool.ts';

interface HostHandle {
  readonly api: Remote<HostApi>;
  readonly control: MessagePort;
  readonly closed: Promise<void>;
}

/** What the coordinator tells the job handle. */
export interface CoordinatorEvents {
  finished(metrics: JobMetrics): void;
  failed(error: Error): void;
  cancelled(metrics: JobMetrics): void;
}

/**
 * Runs one job: places one long-lived host per worker on threads of the pool, creates a
 * MessagePort pair for every channel that crosses threads (data flows worker to worker, never
 * through here), deploys, starts, watches for completion or failure, and gives every thread back
 * and closes every port at the end. The job machine decides which of these steps may happen next.
 */
export class Coordinator {
  readonly #lifecycle = xstate.createActor(jobMachine).start();
  readonly #hosts: HostHandle[] = [];
  readonly #outputs = new Map<string, OutputStream<unknown>>();
  readonly #startedAt = performance.now();
  #leases: HostLease[] = [];
  #unsubscribe: () => void = () => {};
  #finalMetrics: JobMetrics | undefined;
  #lastHostMetrics: HostMetrics[] = [];
  #failure: Error | undefined;
  /**
   * Rejects when the job fails or is cancelled. Every wait on a host races it: a call to a worker
   * that died, or whose port was closed, would otherwise never settle.
   */
  readonly #aborted: Promise<never>;
  #abort!: (error: Error) => void;

  constructor(
    readonly moduleUrl: string,
    readonly graph: LogicalGraph,
    readonly plan: PhysicalPlan,
    readonly options: ResolvedOptions,
    private readonly pool: ThreadPool,
    private readonly events: CoordinatorEvents,
  ) {
    this.#aborted = new Promise<never>((_, reject) => (this.#abort = reject));
    this.#aborted.catch(() => {});
  }

  #alive<T>(call: Promise<T>): Promise<T> {
    return Promise.race([call, this.#aborted]);
  }

  get status(): JobStatus {
    return this.#lifecycle.getSnapshot().value as JobStatus;
  }

  output(name: string): OutputStream<unknown> {
    const stream = this.#outputs.get(name);
    if (!stream) throw errors.unknownOutput(this.graph.job, name, [...this.#outputs.keys()]);
    return stream;
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
    this.#unsubscribe = this.pool.onError((error) => void this.#fail(errors.workerDied(this.graph.job, -1, error)));
    this.#leases = this.pool.lease(workers, (w, error) => void this.#fail(errors.workerDied(this.graph.job, w, error)));
    const ports = this.#createPorts();
    const splitCounters: Record<number, SharedArrayBuffer> = {};
    for (const node of this.graph.nodes) if (node.kind === 'source') splitCounters[node.id] = new SharedArrayBuffer(4);
    for (const { control } of this.#leases) {
      this.#hosts.push({
        api: comlink.wrap<HostApi>(control as unknown as Parameters<typeof comlink.wrap>[0]),
        control,
        closed: whenClosed(control),
      });
    }

    try {
      await this.#alive(Promise.all(
        this.#hosts.map(({ api }, w) => {
          const spec: DeploySpec = {
            moduleUrl: this.moduleUrl,
            params: this.options.params,
            plan: this.plan,
            graph: this.graph.describe(),
            fingerprint: this.graph.fingerprint(),
            workerIndex: w,
            mailboxCapacity: this.options.mailboxCapacity,
            collectCapacity: this.options.collectCapacity,
            batchSize: this.options.batchSize,
            bufferTimeoutMs: this.options.bufferTimeoutMs,
            splitCounters,
            ports: ports[w]!,
          };
          return api.deploy(comlink.transfer(spec, Object.values(ports[w]!) as never));
        }),
      ));
      if (this.status !== 'deploying') throw this.#terminalError();
      this.#lifecycle.send({ type: 'DEPLOYED' });
      await this.#alive(Promise.all(this.#hosts.map(({ api }) => api.start())));
    } catch (thrown) {
      const error = isSerializedError(thrown) ? deserializeError(thrown) : (thrown as Error);
      await this.#fail(error);
      throw this.#failure ?? error;
    }
    void this.#watch();
  }

  async metrics(): Promise<JobMetrics> {
    if (this.#finalMetrics) return { ...this.#finalMetrics, status: this.status };
    if (this.status === 'running') {
      try {
        this.#lastHostMetrics = await this.#alive(Promise.all(this.#hosts.map(({ api }) => api.metrics())));
      } catch {
        // the job ended meanwhile: report what was seen last
      }
    }
    return aggregateMetrics(this.plan, this.#lastHostMetrics, this.status, performance.now() - this.#startedAt);
  }

  cancel(): Promise<void> {
    if (this.#lifecycle.getSnapshot().can({ type: 'CANCEL' })) {
      this.#lifecycle.send({ type: 'CANCEL' });
      this.#abort(this.#terminalError());
      this.#teardown = (async () => {
        await this.#snapshotMetrics();
        await this.#release();
        this.#lifecycle.send({ type: 'RELEASED' });
        this.events.cancelled(this.#settledMetrics());
      })();
    }
    return this.#teardown ?? Promise.resolve();
  }

  /** Waits for every host to finish and every collect sink to deliver its end of stream. */
  async #watch(): Promise<void> {
    const outcomes = this.#hosts.map(({ api }) =>
      this.#alive<HostOutcome>(api.completion()).then((outcome: HostOutcome) => {
        if (outcome.status === 'failed') throw deserializeError(outcome.error);
      }),
    );
    try {
      await Promise.all(outcomes);
      await Promise.all([...this.#outputs.values()].map((o) => o.whenEnded()));
    } catch (error) {
      await this.#fail(error as Error);
      return;
    }
    if (!this.#lifecycle.getSnapshot().can({ type: 'FINISHED' })) return;
    this.#lifecycle.send({ type: 'FINISHED' });
    this.#teardown = (async () => {
      await this.#snapshotMetrics();
      await this.#release();
      this.#lifecycle.send({ type: 'RELEASED' });
      this.events.finished(this.#settledMetrics());
    })();
  }

  /** Fails the job once; every caller waits for the same release. */
  #fail(error: Error): Promise<void> {
    if (this.#lifecycle.getSnapshot().can({ type: 'FAIL' })) {
      const wasRunning = this.status === 'running';
      this.#lifecycle.send({ type: 'FAIL' });
      this.#failure = error;
      this.#abort(error);
      for (const output of this.#outputs.values()) output.fail(error);
      this.#teardown = (async () => {
        if (wasRunning) await this.#snapshotMetrics();
        else this.#finalMetrics = aggregateMetrics(this.plan, [], 'failing', performance.now() - this.#startedAt);
        await this.#release();
        this.#lifecycle.send({ type: 'RELEASED' });
        this.events.failed(error);
      })();
    }
    return this.#teardown ?? Promise.resolve();
  }

  /** The release in progress once the job fails, is cancelled or finishes. */
  #teardown: Promise<void> | undefined;

  #terminalError(): Error {
    return this.#failure ?? new Error(`Job "${this.graph.job}" was cancelled.`);
  }

  /** Final figures, taken before the threads go; a host that no longer answers keeps its last figures. */
  async #snapshotMetrics(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 1000)));
    const answers = await Promise.all(
      this.#hosts.map(({ api }, i) => Promise.race([api.metrics(), timeout]).then((m) => m ?? this.#lastHostMetrics[i])),
    );
    clearTimeout(timer);
    this.#lastHostMetrics = answers.filter((m): m is HostMetrics => m !== undefined);
    this.#finalMetrics = aggregateMetrics(this.plan, this.#lastHostMetrics, this.status, performance.now() - this.#startedAt);
  }

  /** The final figures, stamped with the state the job ended in. */
  #settledMetrics(): JobMetrics {
    this.#finalMetrics = { ...this.#finalMetrics!, status: this.status };
    return this.#finalMetrics;
  }

  /** Releases threads and ports. Hosts are told to shut down; a host stuck in user code loses its thread. */
  async #release(): Promise<void> {
    // A port stays an active handle until its 'close' event, a turn after close(): wait for it, so
    // that when the job reports its end, nothing of it is left in this process.
    const closed = this.#hosts.map((host) => host.closed);
    for (const { api, control } of this.#hosts) {
      api.shutdown().catch(() => {});
      control.close();
    }
    for (const output of this.#outputs.values()) closed.push(output.close());
    this.#unsubscribe();
    await this.pool.giveBack(this.#leases);
    this.#leases = [];
    await Promise.all(closed);
  }

  /** A MessagePort pair per channel that crosses threads; the coordinator keeps the collect sinks' ends. */
  #createPorts(): Record<number, MessagePort>[] {
    const { plan } = this;
    const perWorker = Array.from({ length: plan.workers }, () => ({}) as Record<number, MessagePort>);
    const egress = new Map<string, PortInputChannel[]>(this.graph.egressNames().map((name) => [name, []]));
    for (const c of plan.channels) {
      const from = workerOf(c.from, plan.workers);
      if ('egress' in c.to) {
        const { port1, port2 } = new MessageChannel();
        perWorker[from]![c.id] = port1;
        egress.get(c.to.egress)!.push(new PortInputChannel(port2, this.options.collectCapacity));
        continue;
      }
      const to = workerOf(c.to, plan.workers);
      if (from === to) continue;
      const { port1, port2 } = new MessageChannel();
      perWorker[from]![c.id] = port1;
      perWorker[to]![c.id] = port2;
    }
    for (const [name, channels] of egress) this.#outputs.set(name, new OutputStream(name, channels));
    return perWorker;
  }
}

function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && typeof (value as SerializedError).message === 'string' && !(value instanceof Error);
}
