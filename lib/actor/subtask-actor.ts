import type { MessagePort } from 'node:worker_threads';
import { xstate } from '../util/packages.ts';
import type { InputGate } from '../channel/input-gate.ts';
import { InputWatermarks } from '../channel/input-watermarks.ts';
import { userError, type SubtaskLocation } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import { ACTOR, CHANNEL, STATUSES, type ActorBoard } from '../metrics/board.ts';
import type { ChainPlan } from '../plan/physical-plan.ts';
import { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { Clock } from '../util/clock.ts';
import { actorMachine, type ActorStatus } from './actor-machine.ts';
import { Chain } from './chain.ts';
import { openLinks } from './links.ts';
import { ActorOutputs, type ActorOutput } from './outputs.ts';
import type { RecordTime } from './pending-input.ts';
import type { Schedulable, Scheduler } from './scheduler.ts';
import { SourceDriver } from './source-driver.ts';
import { WakeUps } from './wake-ups.ts';
import { operatorKey, type ActorSnapshot } from '../checkpoint/checkpoint.ts';
import type { WireCheckpoint, WireSubtaskState } from '../checkpoint/serialized-stage.ts';
import { snapshotStage } from './stage-state.ts';
import { restoreSubtask } from './subtask-restore.ts';
import { BarrierAligner, type Aligned } from '../channel/barrier-aligner.ts';
import { systemClock } from '../util/clock.ts';
import type { ChainLink } from './chain.ts';
import type { JsonValue } from '../util/json.ts';
import type { SourceDeadLetter } from '../protocol/control.ts';

export interface ActorSetup {
  /** The actor's place among its worker's actors (and on the worker's metrics board). */
  readonly slot: number;
  readonly graph: LogicalGraph;
  readonly chain: ChainPlan;
  readonly index: number;
  readonly maxParallelism: number;
  readonly params: unknown;
  /** The run's identity (see `OperatorContext.jobId`). */
  readonly jobId: string;
  /** The mailbox: one input channel per upstream channel. */
  readonly gate: InputGate;
  /**
   * Per gate channel: which input of the head operator it feeds (1: the second input of a two-input
   * operator), and whether its records carry event time (a channel without does not hold back the
   * watermark: a rules stream without timestamps, say).
   */
  readonly inputs: readonly { readonly input: 0 | 1; readonly timed: boolean }[];
  /** Output edges in plan order (the egress, if any, last), each with its channels in slot order. */
  readonly outputs: readonly ActorOutput[];
  /** The shared split counter of each source node, by node id (see `SourceContext.nextSplit`). */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  /** Records a source reads per step. */
  readonly batchSize: number;
  readonly bufferTimeoutMs: number;
  /** How often a `withTimestamps` stage is asked for its watermark. */
  readonly watermarkIntervalMs: number;
  readonly checkRecords: boolean;
  readonly scheduler: Scheduler;
  /** Processing time: timers, watermark intervals, idleness, buffer timeouts (tests can replace it). */
  readonly clock: Clock;
  /** Where the actor publishes its figures. */
  readonly board: ActorBoard;
  /** Called once, when the actor reaches finished or failed. */
  readonly onDone: (actor: SubtaskActor, error?: Error) => void;
  /** The checkpoint to start from: each stage takes its share, the source seeks to its offset. */
  readonly restore?: WireCheckpoint;
  /** The actor's snapshot for a checkpoint, once the barrier passed its whole chain. */
  readonly onCheckpoint?: (snapshot: ActorSnapshot) => void;
  /** Poison records to pass over: their digests by operator key (see actor/poison-skip.ts). */
  readonly poison?: Readonly<Record<string, readonly string[]>>;
  /** A source reader's dead letter (see `SourceContext.deadLetter`). */
  readonly onDeadLetter?: (letter: SourceDeadLetter) => void;
  /** The worker's ends of the daemon inputs it reads, by name (see `SourceContext.ingressPort`). */
  readonly ingress?: Readonly<Record<string, MessagePort>>;
}

/** How long a parked source waits for its `wakeUp` before it is read again anyway (processing time). */
const PARKED_POLL_MS = 50;

/** The size of a snapshot as JSON; 0 for one JSON cannot write (a bigint in an operator's own snapshot): it is still taken. */
const jsonSize = (value: unknown): number => {
  try {
    return JSON.stringify(value).length;
  } catch {
    return 0;
  }
};

/** A checkpoint the actor is cutting: its states so far, stage by stage as the barrier passes. */
interface Cutting {
  readonly alignmentMs: number;
  readonly states: { key: string; node: number; name: string; state: WireSubtaskState }[];
}

/**
 * One subtask: a mailbox (input gate), a chain of operators, and outputs. Each `step` first moves on
 * what the chain set aside when credit last ran out, then takes one input message (or reads one
 * batch from a source); it stops as soon as an output lacks credit, wherever that happens, and
 * credit coming back makes it runnable again.
 *
 * created ─open→ running ─end of input→ finishing (the end passes the chain, close hooks emit, the
 * last batches wait for credit) → finished; failed and cancelled from anywhere.
 */
export class SubtaskActor implements Schedulable {
  scheduled = false;
  readonly name: string;
  readonly slot: number;
  readonly #lifecycle = xstate.createActor(actorMachine).start();
  readonly #setup: ActorSetup;
  readonly #keyed: KeyedStateBackend;
  readonly #outputs: ActorOutputs;
  readonly #at: SubtaskLocation;
  #chain!: Chain;
  #source: SourceDriver | undefined;
  /** Records taken from the mailbox, or emitted by the source: an object, so that the source's counting copy can reach it. */
  readonly #counts = { recordsIn: 0 };
  #pauses = 0;
  #paused = false;
  /** Asynchronous work of the operators (`OperatorContext.waitFor`) not settled yet: no input meanwhile. */
  #waiting = 0;
  /** Checkpoints that completed while an operator's asynchronous work ran: told once it is done. */
  readonly #completedMeanwhile: number[] = [];
  /** The operators were told to release what they hold (see `Operator.dispose`). */
  #disposed = false;
  /** The event time of the record being processed, shared by the chain's operators. */
  readonly #time: RecordTime = { timestamp: NaN, input: 0 };
  /** The input's watermark over its channels. */
  readonly #watermarks: InputWatermarks;
  /** Processing-time work: timers, watermark intervals. */
  readonly #wake: WakeUps;
  #lateRecords = 0;
  /** Per input channel: returns a slot (made once, not per batch). */
  readonly #releases: (() => void)[];
  /** Per input channel: the input of the head operator it feeds. */
  readonly #inputOf: readonly (0 | 1)[];
  /** The chain's stages (not the source) with their plan's nodes, for snapshots. */
  #links: { link: ChainLink; node: number }[] = [];
  /** Barriers a source was asked to inject, injected at its next step. */
  readonly #inject: number[] = [];
  /** The checkpoint after whose barrier this source stops reading (stop with a savepoint), and whether it has. */
  #stopAt: number | undefined;
  #stopped = false;
  /** Unfinished splits of an earlier run dealt to this source subtask, taken by its reader's `resumeSplit`. */
  readonly #resumable: JsonValue[] = [];
  /** The last checkpoint this source injected a barrier for (logged with the splits it claims). */
  #injected = 0;
  /** Holds the channels whose barrier came until it came on every channel (timed on the system clock, as steps are). */
  readonly #aligner: BarrierAligner;
  /** Checkpoints whose barrier is on its way through the chain. */
  readonly #cutting = new Map<number, Cutting>();
  /** Restored from a checkpoint in which this subtask had finished: it sends its end at once, nothing else. */
  #finishedAtRestore = false;
  /** A source's offset when it ended: what checkpoints taken after that record for it. */
  #finalOffset: JsonValue | undefined;
  /**
   * Set by `start`. Until then the actor does no work, though a wake-up may come (the periodic
   * watermark of a `withTimestamps` stage is armed at `open`): a source that read then would run
   * user code while other workers still deploy, before the job is running, where a failure skips
   * the restart strategy (a first deployment fails the job) and checkpoints have not begun.
   */
  #started = false;

  constructor(setup: ActorSetup) {
    this.#setup = setup;
    this.slot = setup.slot;
    const { chain, index, graph } = setup;
    this.name = `${chain.name} (${index + 1}/${chain.parallelism})`;
    this.#at = { job: graph.job, operator: chain.name, subtaskIndex: index, parallelism: chain.parallelism };
    this.#keyed = new KeyedStateBackend(index, chain.parallelism, setup.maxParallelism);
    this.#outputs = new ActorOutputs({
      outputs: setup.outputs,
      at: this.#at,
      maxParallelism: setup.maxParallelism,
      bufferTimeoutMs: setup.bufferTimeoutMs,
      checkRecords: setup.checkRecords,
      clock: setup.clock,
      time: this.#time,
      onUnblocked: () => this.#onUnblocked(),
      onFailure: (error) => this.#fail(error),
      beforeLeaving: () => this.publish(),
    });
    this.#watermarks = new InputWatermarks(setup.inputs.map((i) => i.timed));
    this.#inputOf = setup.inputs.map((i) => i.input);
    this.#wake = new WakeUps(setup.clock, () => setup.scheduler.schedule(this));
    for (const channel of setup.gate.channels) channel.onMessage = () => setup.scheduler.schedule(this);
    this.#releases = setup.gate.channels.map((channel) => () => channel.release());
    this.#aligner = new BarrierAligner(setup.gate, () => systemClock.now());
    setup.board.set(ACTOR.capacity, setup.gate.channels.reduce((n, c) => n + c.capacity, 0));
  }

  /** True for a source subtask. */
  get source(): boolean {
    return this.#source !== undefined;
  }

  get status(): ActorStatus {
    return this.#lifecycle.getSnapshot().value as ActorStatus;
  }

  /** Creates and opens the operator instances; a throwing `open` fails the actor. */
  open(): void {
    try {
      const { graph, chain } = this.#setup;
      const outputs = this.#outputs;
      const { links: opened, source, assigns } = openLinks({
        graph,
        chain,
        at: this.#at,
        maxParallelism: this.#setup.maxParallelism,
        params: this.#setup.params,
        jobId: this.#setup.jobId,
        keyed: this.#keyed,
        time: this.#time,
        clock: this.#setup.clock,
        splitCounters: this.#setup.splitCounters,
        checkpointEpoch: () => this.#injected,
        resumeSplit: () => this.#resumable.shift(),
        side: (tag) => outputs.side(tag),
        wakeAt: (time) => this.#wake.at(time),
        late: () => void this.#lateRecords++,
        waitFor: (promise, at) => this.#waitFor(promise, at),
        wakeUp: () => this.#wakeUp(),
        deadLetter: (letter) => this.#setup.onDeadLetter?.(letter),
        ingressPort: (name) => this.#setup.ingress?.[name],
      });
      const poison = this.#setup.poison;
      const links = poison ? opened.map((l) => (l.kind === 'operator' && l.at.stage && poison[l.at.stage] ? { ...l, poison: new Set(poison[l.at.stage]) } : l)) : opened;
      const nodes = chain.links.map((l) => l.node).filter((node) => graph.node(node).kind !== 'source');
      this.#links = links.map((link, i) => ({ link, node: nodes[i]! }));
      this.#chain = new Chain(links, {
        outputs,
        onSignal: (signal) => {
          outputs.control(signal);
          if (signal.type === 'barrier') this.#acknowledge(signal.checkpointId);
        },
        input: source?.at ?? links[0]!.at,
        time: this.#time,
        clock: this.#setup.clock,
        onBarrier: (position, id) => this.#cutStage(position, id),
      });
      if (this.#setup.restore) {
        const { graph, chain, index, maxParallelism } = this.#setup;
        const restored = restoreSubtask(this.#setup.restore, { graph, chain, index, maxParallelism, links: this.#links, keyed: this.#keyed, source });
        if (restored.finished) this.#finishedAtRestore = true;
        this.#resumable.push(...restored.resumable);
      }
      if (source) {
        const { writers } = outputs;
        const batchSize = this.#setup.batchSize;
        const chunk = () => {
          let n = batchSize;
          for (let i = 0; i < writers.length; i++) n = Math.min(n, writers[i]!.room);
          return n;
        };
        this.#source = new SourceDriver(source.reader, source.at, this.#chain.head, this.#counts, chunk, this.#time);
      }
      // Watermarks are asked for, and expired state reclaimed, every interval of processing time.
      if (assigns || this.#keyed.expires) this.#wake.every(this.#setup.watermarkIntervalMs);
      // Restored processing-time timers wake the actor when due.
      const nextTimer = this.#chain.nextProcessingTime();
      if (nextTimer !== undefined) this.#wake.at(nextTimer);
      this.#lifecycle.send({ type: 'OPENED' });
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /** Sources begin reading; other actors wait for input. */
  start(): void {
    this.#started = true;
    if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  cancel(): void {
    this.#outputs.close();
    this.#wake.close();
    this.#lifecycle.send({ type: 'CANCEL' });
    try {
      this.#source?.close();
    } catch {
      // cancelled: nobody is waiting for this source's errors any more
    }
    this.#dispose();
  }

  /** The operators release what they hold outside the job (see `Operator.dispose`), once. */
  #dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const { link } of this.#links) {
      if (link.kind !== 'operator') continue;
      try {
        link.operator.dispose?.();
      } catch {
        // the subtask is gone: nothing waits for what its operators throw now
      }
    }
  }

  runnable(): boolean {
    const status = this.status;
    if (!this.#started || (status !== 'running' && status !== 'finishing') || this.#outputs.flow.stalled !== 0 || this.#waiting > 0) return false;
    if (this.#chain.pending || this.#wake.due) return true;
    if (status === 'finishing') return false;
    if (this.#inject.length > 0) return true;
    return this.#source ? !this.#source.exhausted && !this.#stopped && !this.#source.parked : this.#setup.gate.hasInput();
  }

  step(): void {
    const status = this.status;
    // Scheduled by input or a wake-up while an operator's asynchronous work runs: that work comes first.
    if (!this.#started || (status !== 'running' && status !== 'finishing') || this.#waiting > 0) return;
    try {
      if (this.#chain.resume() && this.#processingTime() && status === 'running') {
        if (this.#inject.length > 0) this.#injectBarriers();
        if (this.#source) {
          if (!this.#stopped) this.#readSource();
        } else this.#takeInput();
      }
      this.#maybeFinished();
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /**
   * Processing-time work that came due (timers, the periodic watermark): done before new input. False
   * if an output stalled on the way: the rest is done in a later step.
   */
  #processingTime(): boolean {
    if (!this.#wake.due) return true;
    const now = this.#wake.take();
    this.#source?.wakeUp();
    if (!this.#chain.processingTime(now)) {
      this.#wake.retry();
      return false;
    }
    this.#wake.next(this.#chain.nextProcessingTime());
    this.#keyed.sweep(256);
    return true;
  }

  #readSource(): void {
    const source = this.#source!;
    this.#keyed.sweep(64);
    if (this.#finishedAtRestore || !source.read(this.#setup.batchSize, this.#outputs.flow)) {
      this.#endInput();
      return;
    }
    if (this.#outputs.flow.stalled !== 0) {
      this.#pauses++;
      this.#paused = true;
    }
    // A parked reader is read again when it wakes the subtask, and at the latest after a while.
    if (source.parked) this.#wake.at(this.#setup.clock.now() + PARKED_POLL_MS);
  }

  #takeInput(): void {
    const { gate } = this.#setup;
    const i = gate.next();
    if (i < 0) return;
    const channel = gate.channels[i]!;
    const message = channel.take()!;
    if (message.type === 'batch') {
      this.#counts.recordsIn += message.batch.length;
      this.#watermarks.active(i);
      this.#time.input = this.#inputOf[i]!;
      // Its slot is returned once its last record has moved on, even if a stall keeps it in the
      // chain for a while: the sender may not have more of this channel's batches alive here than
      // the capacity (measured: returning it before processing cost 10% more scavenging at p2).
      this.#chain.head.collectBatch(message.batch, this.#releases[i]!, message.times);
      // Reclaims expired state a little at a time, in proportion to the input (nothing without TTL).
      this.#keyed.sweep(Math.max(16, message.batch.length >> 2));
      return;
    }
    channel.release();
    const head = this.#chain.head;
    switch (message.type) {
      case 'end': {
        const advanced = this.#watermarks.ended(i);
        if (gate.end(i)) this.#endInput();
        else if (advanced !== undefined) head.signal({ type: 'watermark', timestamp: advanced });
        break;
      }
      case 'watermark': {
        const advanced = this.#watermarks.watermark(i, message.timestamp);
        if (advanced !== undefined) head.signal({ type: 'watermark', timestamp: advanced });
        break;
      }
      case 'idle': {
        const change = this.#watermarks.idleChannel(i);
        if (change.watermark !== undefined) head.signal({ type: 'watermark', timestamp: change.watermark });
        if (change.idle) head.signal({ type: 'idle' });
        break;
      }
      case 'barrier':
        this.#barrier(i, message.checkpointId);
        break;
    }
    // A channel that ended counts as arrived: the barrier may be aligned now.
    if (message.type === 'end' && this.#aligner.aligning) this.#aligned(this.#aligner.ended());
  }

  /**
   * Checkpoint `id`'s barrier arrived on channel `i`. With several inputs, the channel is held (what
   * follows it waits, keeping its credit) until the barrier has come on every channel; then the
   * barrier enters the chain, each stage cuts its state as it passes, and the channels go on.
   */
  #barrier(i: number, id: number): void {
    this.#aligned(this.#aligner.barrier(i, id));
  }

  #aligned(aligned: Aligned | undefined): void {
    if (aligned) this.#startCut(aligned.checkpointId, aligned.alignmentMs, []);
  }

  /** A source's barriers: its reader's offset is cut now, before it reads on. */
  #injectBarriers(): void {
    const source = this.#source!;
    for (const id of this.#inject.splice(0)) {
      this.#injected = id;
      const node = this.#setup.chain.links[0]!.node;
      const n = this.#setup.graph.node(node);
      const pending = this.#resumable.length > 0 ? { pending: structuredClone(this.#resumable) } : {};
      this.#startCut(id, 0, [{ key: operatorKey(n), node, name: source.at.operator, state: { kind: 'source', offset: structuredClone(source.offset(id)), ...pending } }]);
      // Nothing is read after a final checkpoint's barrier: the savepoint holds everything emitted.
      if (id === this.#stopAt) this.#stopped = true;
    }
  }

  #startCut(id: number, alignmentMs: number, states: Cutting['states']): void {
    this.#cutting.set(id, { alignmentMs, states });
    this.#chain.head.signal({ type: 'barrier', checkpointId: id });
  }

  #cutStage(position: number, id: number): void {
    const cut = this.#cutting.get(id);
    const { link, node } = this.#links[position]!;
    const stage = snapshotStage({ link, node, keyed: this.#keyed, maxParallelism: this.#setup.maxParallelism }, id);
    if (!cut || !stage) return;
    cut.states.push({ key: operatorKey(this.#setup.graph.node(node)), node, name: link.at.operator, state: stage });
  }

  /** The barrier passed the chain and left on every output: the snapshot goes to the coordinator. */
  #acknowledge(id: number): void {
    const cut = this.#cutting.get(id);
    if (!cut) return;
    this.#cutting.delete(id);
    const { chain, index } = this.#setup;
    let bytes = 0;
    for (const { state } of cut.states) bytes += state.kind === 'serialized-stage' ? state.bytes.byteLength : jsonSize(state);
    this.#setup.onCheckpoint?.({ checkpointId: id, slot: this.slot, chain: chain.id, index, name: this.name, states: cut.states, alignmentMs: cut.alignmentMs, bytes });
  }

  /**
   * Asks a source subtask to inject checkpoint `id`'s barrier at its next step (after the
   * processing-time work that came due, before it reads on). False if it no longer reads.
   */
  injectBarrier(id: number, stop = false): boolean {
    if (!this.#source || this.status !== 'running' || this.#source.exhausted || this.#finishedAtRestore) return false;
    this.#inject.push(id);
    if (stop) this.#stopAt = id;
    this.#setup.scheduler.schedule(this);
    return true;
  }

  /** The final checkpoint `id` failed (stop with a savepoint did not complete): this source reads on. */
  resumeReading(id: number): void {
    if (this.#stopAt !== id) return;
    this.#stopAt = undefined;
    this.#stopped = false;
    if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  /**
   * This finished subtask's part of checkpoint `id` (Flink's finished tasks): its source's offset at
   * the end, marked finished, and every operator of its chain finished. Everything it emitted went
   * downstream before its end, so every later cut downstream includes it.
   */
  finishedSnapshot(id: number): ActorSnapshot {
    const { graph, chain, index } = this.#setup;
    const states: Cutting['states'] = [];
    if (this.#source) {
      const node = chain.links[0]!.node;
      states.push({ key: operatorKey(graph.node(node)), node, name: this.#source.at.operator, state: { kind: 'source', offset: this.#finalOffset ?? null, finished: true } });
    }
    for (const { link, node } of this.#links) {
      if (link.kind === 'operator') states.push({ key: operatorKey(graph.node(node)), node, name: link.at.operator, state: { kind: 'finished' } });
    }
    return { checkpointId: id, slot: this.slot, chain: chain.id, index, name: this.name, states, alignmentMs: 0, bytes: jsonSize(states) };
  }

  /**
   * Every input ended: the end passes the chain behind what is still on its way (close hooks emit
   * there). A subtask restored finished sends its end past its operators: they emitted everything
   * in the earlier run.
   */
  #endInput(): void {
    this.#lifecycle.send({ type: 'INPUT_ENDED' });
    if (this.#source) this.#finalOffset = this.#source.offset();
    this.#source?.close();
    if (this.#finishedAtRestore) this.#chain.endRestored();
    else this.#chain.head.signal({ type: 'end' });
  }

  #maybeFinished(): void {
    if (this.status === 'finishing' && this.#chain.ended && !this.#chain.pending && this.#outputs.flow.stalled === 0 && this.#waiting === 0) {
      this.#outputs.close();
      this.#wake.close();
      this.#lifecycle.send({ type: 'DRAINED' });
      this.#setup.onDone(this);
      this.#dispose();
    }
  }

  #onUnblocked(): void {
    this.#paused = false;
    this.#resume();
  }

  /** Something the actor waited for came: it finishes, or steps on. */
  #resume(): void {
    if (this.status === 'finishing' && !this.#chain.pending) this.#maybeFinished();
    else if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  /** An operator's asynchronous work (see `OperatorContext.waitFor`): input waits until it settles. */
  #waitFor(promise: PromiseLike<unknown>, at: SubtaskLocation): void {
    this.#waiting++;
    promise.then(
      () => {
        if (--this.#waiting === 0) for (const id of this.#completedMeanwhile.splice(0)) this.checkpointComplete(id);
        this.#resume();
      },
      (cause: unknown) => {
        this.#waiting--;
        this.#fail(userError(cause, { ...at, while: 'waiting for its asynchronous work' }));
      },
    );
  }

  /** The source reader has records again (see `SourceContext.wakeUp`). */
  #wakeUp(): void {
    if (!this.#source?.parked) {
      this.#source?.wakeUp();
      return;
    }
    this.#source.wakeUp();
    if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  /**
   * Checkpoint `id` completed: the operators that took part in it commit (two-phase sinks), and the
   * source's reader acknowledges what it covers. A hook that throws fails the subtask.
   */
  checkpointComplete(id: number): void {
    const status = this.status;
    if (status !== 'running' && status !== 'finishing') return;
    // After the asynchronous work running now (a sink still connecting, a commit): commits stay in order.
    if (this.#waiting > 0) {
      this.#completedMeanwhile.push(id);
      return;
    }
    try {
      this.#source?.checkpointComplete(id);
      for (const { link } of this.#links) {
        if (link.kind !== 'operator' || !link.operator.onCheckpointComplete) continue;
        try {
          link.operator.onCheckpointComplete(id);
        } catch (cause) {
          throw userError(cause, { ...link.at, while: `committing checkpoint ${id}` });
        }
      }
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #fail(error: Error): void {
    const status = this.status;
    if (status === 'failed' || status === 'cancelled' || status === 'finished') return;
    this.#outputs.close();
    this.#wake.close();
    this.#lifecycle.send({ type: 'FAIL' });
    this.#setup.onDone(this, error);
    this.#dispose();
  }

  /** Writes the actor's figures to its board. */
  publish(): void {
    const b = this.#setup.board;
    const outputs = this.#outputs;
    b.set(ACTOR.status, STATUSES.indexOf(this.status));
    b.set(ACTOR.recordsIn, this.#counts.recordsIn);
    b.set(ACTOR.recordsOut, outputs.recordsSent);
    b.set(ACTOR.queued, this.#setup.gate.queued);
    b.set(ACTOR.maxQueued, this.#setup.gate.maxQueued);
    b.set(ACTOR.backlog, outputs.backlog);
    b.set(ACTOR.pauses, this.#pauses);
    b.set(ACTOR.paused, this.#paused ? 1 : 0);
    b.set(ACTOR.keys, this.#keyed.keyCount);
    b.set(ACTOR.lateRecords, this.#lateRecords);
    b.set(ACTOR.watermark, this.#watermarks.current);
    // An actor whose open failed has no chain, and may still be published once.
    b.set(ACTOR.eventTime, (this.#chain as Chain | undefined)?.eventTime ?? -Infinity);
    for (let c = 0; c < outputs.writers.length; c++) {
      const m = outputs.channelMetrics(c);
      b.setChannel(c, CHANNEL.inFlight, m.inFlight);
      b.setChannel(c, CHANNEL.maxInFlight, m.maxInFlight);
      b.setChannel(c, CHANNEL.batchesSent, m.batchesSent);
      b.setChannel(c, CHANNEL.backlog, m.backlog);
      b.setChannel(c, CHANNEL.maxBacklog, m.maxBacklog);
    }
  }
}
