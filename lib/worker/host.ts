import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { buildGraph } from '../api/job.ts';
import { Scheduler } from '../actor/scheduler.ts';
import { SubtaskActor } from '../actor/subtask-actor.ts';
import type { InputChannel, OutputChannel } from '../channel/channel.ts';
import { InputGate } from '../channel/input-gate.ts';
import { errors } from '../errors.ts';
import { describeDifference } from '../graph/logical-graph.ts';
import { boardLayout, WorkerBoard, type BoardLayout } from '../metrics/board.ts';
import type { DeploySpec, HostApi, HostEvent, HostOutcome, RebuildSpec } from '../protocol/control.ts';
import { serializeError } from '../protocol/error-wire.ts';
import { importJobModule } from '../api/module-loader.ts';
import { ManualClock, systemClock, type Clock } from '../util/clock.ts';
import { wireChannels, type WiredEnd } from './wiring.ts';
import type { ActorSnapshot } from '../checkpoint/checkpoint.ts';

/** What the host keeps of its deployment: restarted regions are built again from it. */
interface Deployment {
  readonly spec: DeploySpec;
  readonly graph: ReturnType<typeof buildGraph>;
  readonly layout: BoardLayout;
}

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
 *
 * When a region restarts (see plan/regions.ts), the host cancels that region's actors and closes
 * their channels (`teardown`), then builds them again in the same slots on new channels, restored
 * from the checkpoint (`rebuild`); the other regions' actors run on untouched.
 */
export class Host implements HostApi {
  readonly #scheduler: Scheduler<SubtaskActor>;
  /** The actors by slot (the board's order); a rebuilt actor takes its predecessor's slot. */
  readonly #actors: SubtaskActor[] = [];
  #channels: WiredEnd[] = [];
  #deployment: Deployment | undefined;
  #board: WorkerBoard | undefined;
  /** Slots of the actors that finished. */
  readonly #finished = new Set<number>();
  /** Slots of the actors that failed, with their errors: reported at once after a rebuild of other regions. */
  readonly #failed = new Map<number, Error>();
  /** The host itself failed (a message it could not read): no rebuild makes it healthy again. */
  #broken = false;
  #outcome: HostOutcome | undefined;
  #settle!: (outcome: HostOutcome) => void;
  #completion!: Promise<HostOutcome>;
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
    this.#arm();
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
    this.#board = new WorkerBoard(spec.board, layout);
    this.#deployment = { spec, graph, layout };
    this.#build(undefined, spec);
  }

  /**
   * Makes the channels and actors of `chains` (every chain: the deployment) as the plan places them
   * on this worker, and opens the actors; each actor takes its share of `from.restore`.
   */
  #build(chains: ReadonlySet<number> | undefined, from: Pick<DeploySpec, 'ports' | 'ingress' | 'splitCounters' | 'restore' | 'poison'>): void {
    const { spec, graph, layout } = this.#deployment!;
    const { plan } = spec;
    const wiring = wireChannels(
      plan,
      graph,
      spec.workerIndex,
      from.ports,
      (c) => (cause) => this.#fail(errors.messageUnreadable(graph.job, `${c.fromName} to ${c.toName}`, cause)),
      chains,
    );
    this.#channels.push(...wiring.all);
    for (const { polled } of wiring.all) if (polled) this.#scheduler.poll(polled);
    const built: SubtaskActor[] = [];
    // Actors in the board's order: actor i writes slot i.
    layout.actors.forEach(({ ref }, i) => {
      if (chains && !chains.has(ref.chain)) return;
      const actor = new SubtaskActor({
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
        splitCounters: from.splitCounters,
        batchSize: spec.batchSize,
        bufferTimeoutMs: spec.bufferTimeoutMs,
        watermarkIntervalMs: spec.watermarkIntervalMs,
        checkRecords: spec.checkRecords,
        scheduler: this.#scheduler,
        clock: this.#clock,
        board: this.#board!.actor(i),
        onDone: this.#onActorDone,
        ...(from.restore ? { restore: from.restore } : {}),
        ...(from.poison ? { poison: from.poison } : {}),
        onCheckpoint: this.#onSnapshot,
        onDeadLetter: (letter) => this.post({ weir: 'dead-letter', letter }),
        ...(from.ingress ? { ingress: from.ingress } : {}),
      });
      this.#actors[i] = actor;
      built.push(actor);
    });
    for (const actor of built) actor.open();
    this.#publish();
  }

  teardown(chains: readonly number[]): void {
    const torn = new Set(chains);
    const { layout } = this.#deployment!;
    this.#actors.forEach((actor, slot) => {
      if (!torn.has(layout.actors[slot]!.ref.chain)) return;
      actor.cancel();
      this.#finished.delete(slot);
      this.#failed.delete(slot);
    });
    this.#channels = this.#channels.filter(({ end, chain, polled }) => {
      if (!torn.has(chain)) return true;
      if (polled) this.#scheduler.unpoll(polled);
      void end.close();
      return false;
    });
    // The coordinator abandoned the checkpoints in progress: what other actors cut of them is dropped.
    for (const id of [...this.#cuts.keys()]) this.abortCheckpoint(id);
    this.#publish();
  }

  rebuild(spec: RebuildSpec): void {
    this.#build(new Set(spec.chains), spec);
    if (this.#outcome && !this.#broken) {
      this.#outcome = undefined;
      this.#arm();
    }
    // An actor of a region that did not restart failed while this one restarted: its failure is next.
    const [slot, error] = this.#failed.entries().next().value ?? [];
    if (error) this.#finish({ status: 'failed', error: serializeError(error), chain: this.#deployment!.layout.actors[slot!]!.ref.chain });
  }

  #arm(): void {
    this.#completion = new Promise((resolve) => (this.#settle = resolve));
  }

  start(chains?: readonly number[]): void {
    const { layout } = this.#deployment!;
    const only = chains && new Set(chains);
    this.#actors.forEach((actor, slot) => {
      if (!only || only.has(layout.actors[slot]!.ref.chain)) actor.start();
    });
    if (this.#finished.size === this.#actors.length) this.#finish({ status: 'finished' });
  }

  completion(): Promise<HostOutcome> {
    return this.#completion;
  }

  cancel(): void {
    this.#scheduler.stop();
    for (const actor of this.#actors) actor.cancel();
    for (const { end } of this.#channels) void end.close();
    this.#channels = [];
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

  /** The host failed, not one of its actors: this worker's share stops at once; the coordinator restarts the job. */
  #fail(error: Error): void {
    this.#broken = true;
    this.#scheduler.stop();
    this.#finish({ status: 'failed', error: serializeError(error) });
  }

  readonly #onActorDone = (actor: SubtaskActor, error?: Error): void => {
    // An actor of a torn-down region, replaced since: nothing it says counts.
    if (this.#actors[actor.slot] !== actor) return;
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
    if (error) {
      // Only its region stops: the coordinator restarts that region (or the job), the other actors run on meanwhile.
      this.#failed.set(actor.slot, error);
      this.#finish({ status: 'failed', error: serializeError(error), chain: this.#deployment!.layout.actors[actor.slot]!.ref.chain });
    } else {
      this.#finished.add(actor.slot);
      if (this.#finished.size === this.#actors.length) this.#finish({ status: 'finished' });
    }
  };
}
