import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { buildGraph } from '../api/job.ts';
import { Scheduler } from '../actor/scheduler.ts';
import { SubtaskActor } from '../actor/subtask-actor.ts';
import type { InputChannel, OutputChannel } from '../channel/channel.ts';
import { InputGate } from '../channel/input-gate.ts';
import { errors } from '../errors.ts';
import { describeDifference } from '../graph/logical-graph.ts';
import { boardLayout, WorkerBoard } from '../metrics/board.ts';
import type { DeploySpec, HostApi, HostEvent, HostOutcome } from '../protocol/control.ts';
import { serializeError } from '../protocol/error-wire.ts';
import { importJobModule } from '../api/module-loader.ts';
import { ManualClock, systemClock, type Clock } from '../util/clock.ts';
import { wireChannels } from './wiring.ts';
import type { ActorSnapshot } from '../checkpoint/checkpoint.ts';

/** A checkpoint in progress on this worker: the snapshots of its actors so far. */
interface Cut {
  readonly snapshots: ActorSnapshot[];
  /** The slots of the actors that sent theirs. */
  readonly from: Set<number>;
  done?: () => void;
  fail?: (error: Error) => void;
}

/**
 * The long-lived resident of one worker thread: it holds the actors of every subtask the plan placed
 * on this worker, makes their channels as the plan says (in-thread or MessagePort), publishes their
 * figures on the worker's metrics board, and answers the coordinator's control calls (deploy, start,
 * cancel, shutdown) over comlink. Data never passes through here.
 */
export class Host implements HostApi {
  readonly #scheduler: Scheduler<SubtaskActor>;
  readonly #actors: SubtaskActor[] = [];
  readonly #channels: (InputChannel | OutputChannel)[] = [];
  #board: WorkerBoard | undefined;
  #pending = 0;
  #outcome: HostOutcome | undefined;
  #settle: ((outcome: HostOutcome) => void) | undefined;
  readonly #completion: Promise<HostOutcome>;
  #peakHeap = 0;
  /** Snapshots of the checkpoints in progress, by id. */
  readonly #cuts = new Map<number, Cut>();
  /** Checkpoints delivered or abandoned: a late snapshot of them is dropped. */
  readonly #abandoned = new Set<number>();
  readonly closed: Promise<void>;
  #close!: () => void;

  /** Processing time for the actors: the system clock, or a manual one the coordinator moves (tests). */
  #clock: Clock = systemClock;

  constructor(
    readonly workerIndex: number,
    /** Sends an event to the coordinator (see `HostEvent`). */
    private readonly post: (event: HostEvent) => void = () => {},
  ) {
    this.#completion = new Promise((resolve) => (this.#settle = resolve));
    this.closed = new Promise((resolve) => (this.#close = resolve));
    // Slices and steps are timed on the system clock whatever the job's clock: they are about this
    // thread's share of real time (and how long a step has been running, for `stuck`).
    this.#scheduler = new Scheduler<SubtaskActor>(systemClock, {
      onStep: (actor, at) => this.#board?.stepStarted(actor.slot, at),
      onSlice: () => this.#publish(),
    });
  }

  async deploy(spec: DeploySpec): Promise<void> {
    const definition = await importJobModule(spec.moduleUrl);
    const graph = buildGraph(definition, spec.params);
    if (graph.fingerprint() !== spec.fingerprint) {
      throw errors.graphMismatch(graph.job, spec.workerIndex, describeDifference(spec.graph, graph.describe()));
    }
    const { plan } = spec;
    if (spec.clock.manual) this.#clock = new ManualClock(spec.clock.now);
    const layout = boardLayout(plan, spec.workerIndex);
    const board = (this.#board = new WorkerBoard(spec.board, layout));
    const wiring = wireChannels(plan, graph, spec.workerIndex, spec.ports, (c) => (cause) =>
      this.#fail(errors.messageUnreadable(graph.job, `${c.fromName} to ${c.toName}`, cause)),
    );
    this.#channels.push(...wiring.all);
    for (const channel of wiring.polled) this.#scheduler.poll(channel);
    // Actors in the board's order: actor i writes slot i.
    layout.actors.forEach(({ ref }, i) => {
      this.#actors.push(
        new SubtaskActor({
          slot: i,
          graph,
          chain: plan.chains[ref.chain]!,
          index: ref.index,
          maxParallelism: plan.maxParallelism,
          params: spec.params,
          jobId: spec.jobId,
          gate: new InputGate(wiring.inputsOf(ref).map((i) => i.channel)),
          inputs: wiring.inputsOf(ref).map(({ plan: c }) => ({ input: c.input, timed: c.timed })),
          outputs: wiring.outputsOf(ref),
          splitCounters: spec.splitCounters,
          batchSize: spec.batchSize,
          bufferTimeoutMs: spec.bufferTimeoutMs,
          watermarkIntervalMs: spec.watermarkIntervalMs,
          checkRecords: spec.checkRecords,
          scheduler: this.#scheduler,
          clock: this.#clock,
          board: board.actor(i),
          onDone: this.#onActorDone,
          ...(spec.restore ? { restore: spec.restore } : {}),
          ...(spec.poison ? { poison: spec.poison } : {}),
          onCheckpoint: this.#onSnapshot,
          onDeadLetter: (letter) => this.post({ weir: 'dead-letter', letter }),
          ...(spec.ingress ? { ingress: spec.ingress } : {}),
        }),
      );
    });
    this.#pending = this.#actors.length;
    for (const actor of this.#actors) actor.open();
    this.#publish();
  }

  start(): void {
    if (this.#pending === 0) this.#finish({ status: 'finished' });
    for (const actor of this.#actors) actor.start();
  }

  completion(): Promise<HostOutcome> {
    return this.#completion;
  }

  cancel(): void {
    this.#scheduler.stop();
    for (const actor of this.#actors) actor.cancel();
    for (const channel of this.#channels) void channel.close();
    this.#channels.length = 0;
    this.#publish();
  }

  async checkpoint(id: number, stop = false): Promise<ActorSnapshot[]> {
    const cut = this.#cut(id);
    // A subtask that finished is recorded finished (Flink's finished tasks); one finishing is when it
    // has (see #onActorDone); the sources still reading inject the barrier.
    for (const actor of this.#actors) {
      if (cut.from.has(actor.slot)) continue;
      const status = actor.status;
      if (status === 'failed' || status === 'cancelled') {
        this.abortCheckpoint(id);
        throw new Error(`subtask ${actor.name} is ${status} before its barrier came`);
      }
      if (status === 'finished') this.#onSnapshot(actor.finishedSnapshot(id));
      else if (actor.source) actor.injectBarrier(id, stop);
    }
    if (!this.#complete(cut)) {
      await new Promise<void>((resolve, reject) => {
        cut.done = resolve;
        cut.fail = reject;
      });
    }
    this.abortCheckpoint(id);
    return cut.snapshots;
  }

  checkpointComplete(id: number): void {
    for (const actor of this.#actors) actor.checkpointComplete(id);
  }

  resumeSources(id: number): void {
    for (const actor of this.#actors) actor.resumeReading(id);
  }

  abortCheckpoint(id: number): void {
    this.#cuts.delete(id);
    this.#abandoned.add(id);
    // Only recent ids can still have snapshots on their way: the oldest are forgotten.
    if (this.#abandoned.size > 1024) for (const old of this.#abandoned) if (this.#abandoned.delete(old) && this.#abandoned.size <= 512) break;
  }

  #cut(id: number): Cut {
    let cut = this.#cuts.get(id);
    if (!cut) this.#cuts.set(id, (cut = { snapshots: [], from: new Set() }));
    return cut;
  }

  #complete(cut: Cut): boolean {
    return cut.from.size === this.#actors.length;
  }

  /** An actor's snapshot: kept until every actor of the worker has sent its own (it may come before the coordinator's call). */
  readonly #onSnapshot = (snapshot: ActorSnapshot): void => {
    if (this.#abandoned.has(snapshot.checkpointId)) return;
    const cut = this.#cut(snapshot.checkpointId);
    cut.snapshots.push(snapshot);
    cut.from.add(snapshot.slot);
    if (this.#complete(cut)) cut.done?.();
  };

  advanceClock(now: number): void {
    const clock = this.#clock;
    if (clock instanceof ManualClock && now > clock.now()) clock.advance(now - clock.now());
  }

  shutdown(): void {
    this.cancel();
    this.#close();
  }

  /** The actors' figures and the thread's heap, on the board for the coordinator to read. */
  #publish(): void {
    const board = this.#board;
    if (!board) return;
    board.stepsEnded();
    for (const actor of this.#actors) actor.publish();
    const used = getHeapStatistics().used_heap_size;
    if (used > this.#peakHeap) this.#peakHeap = used;
    board.worker(threadId, used, this.#peakHeap);
  }

  #finish(outcome: HostOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#publish();
    this.#settle!(outcome);
  }

  #fail(error: Error): void {
    // Stop this worker's share at once; the coordinator cancels the other workers.
    this.#scheduler.stop();
    this.#finish({ status: 'failed', error: serializeError(error) });
  }

  readonly #onActorDone = (actor: SubtaskActor, error?: Error): void => {
    for (const [id, cut] of this.#cuts) {
      if (cut.from.has(actor.slot)) continue;
      // Finished before the barrier came: its inputs ended first, so it is recorded finished.
      if (!error) this.#onSnapshot(actor.finishedSnapshot(id));
      else if (cut.fail) {
        // A checkpoint this actor has not cut will never complete.
        this.abortCheckpoint(id);
        cut.fail(new Error(`subtask ${actor.name} failed before its barrier came`));
      }
    }
    if (error) this.#fail(error);
    else if (--this.#pending === 0) this.#finish({ status: 'finished' });
  };
}
