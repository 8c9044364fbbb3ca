import { errors } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import { displayName } from '../graph/logical-graph.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { Clock, Timer } from '../util/clock.ts';
import { operatorKey, type ActorSnapshot, type CheckpointSummary, type CompletedCheckpoint, type OperatorCheckpoint, type SplitCounterState } from './checkpoint.ts';
import { claimsMade, splitStateAt } from './split-claims.ts';
import { storedStage } from './serialized-stage.ts';

/** What the checkpoint coordinator needs of the job's coordinator. */
export interface CheckpointSetup {
  readonly graph: LogicalGraph;
  readonly plan: PhysicalPlan;
  readonly clock: Clock;
  readonly intervalMs: number | undefined;
  readonly timeoutMs: number;
  readonly retained: number;
  /** The shared split counter of each source node, by node id. */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  /** Asks every worker for its actors' snapshots of checkpoint `id` (sources inject its barrier; with `stop`, they read nothing after it). */
  readonly collect: (id: number, stop: boolean) => Promise<ActorSnapshot[][]>;
  /** Tells every worker to drop what it holds of checkpoint `id`. */
  readonly abort: (id: number) => void;
  readonly onCompleted: (checkpoint: CompletedCheckpoint) => void;
  readonly onAbandoned: (id: number, error: Error) => void;
}

interface Pending {
  readonly id: number;
  readonly triggeredAt: number;
  /** Claims made on each source's split counter when the checkpoint was triggered, by node id. */
  readonly claims: Record<number, number>;
  readonly timeout: Timer;
  readonly resolve: (checkpoint: CompletedCheckpoint) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Takes the job's checkpoints, on the main thread: on the interval (on the job's clock) or on
 * demand it gives the checkpoint a new id and notes where each source's split counter is, asks the
 * workers for their actors' snapshots (the sources inject the barrier; every actor aligns, cuts its
 * state and acknowledges), and once every actor has, files the snapshots per operator and subtask
 * and keeps the newest `retained` ones. A checkpoint not complete within the timeout, or that a
 * worker cannot complete, is abandoned as a whole: nothing of it is kept.
 *
 * @example
 * ```ts
 * const checkpoints = new CheckpointCoordinator(setup);
 * checkpoints.start();
 * const latest = await checkpoints.trigger();
 * ```
 */
export class CheckpointCoordinator {
  readonly #setup: CheckpointSetup;
  readonly #pending = new Map<number, Pending>();
  readonly #completed: CompletedCheckpoint[] = [];
  #lastId = 0;
  #interval: Timer | undefined;
  #stopped: Error | undefined;
  /**
   * A final checkpoint (stop with a savepoint) was triggered and the job has not resumed: no other is
   * taken. One after it would commit exactly-once output made after the final barrier (windows fired
   * by a later watermark), which the savepoint's state has not seen: a resumed job would repeat it.
   */
  #final = false;

  constructor(setup: CheckpointSetup) {
    this.#setup = setup;
  }

  /** The newest completed checkpoints, oldest first. */
  get completed(): readonly CompletedCheckpoint[] {
    return this.#completed;
  }

  /** The id of the checkpoint triggered last (0: none yet). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Starts the periodic checkpoints, if an interval is set. */
  start(): void {
    const { intervalMs, clock } = this.#setup;
    if (intervalMs === undefined || this.#stopped) return;
    const tick = () => {
      this.#interval = undefined;
      if (this.#stopped) return;
      // One periodic checkpoint at a time: a slow one is not piled on.
      if (this.#pending.size === 0 && !this.#final) this.trigger().catch(() => {});
      this.#interval = clock.setTimeout(tick, intervalMs);
    };
    this.#interval = clock.setTimeout(tick, intervalMs);
  }

  /**
   * Takes a checkpoint now; resolves once it completed, rejects if it was abandoned. A `stop`
   * checkpoint is the job's final one (stop with a savepoint): the sources read nothing after it.
   */
  trigger(stop = false): Promise<CompletedCheckpoint> {
    const job = this.#setup.graph.job;
    if (this.#stopped) return Promise.reject(errors.checkpointAbandoned(job, this.#lastId + 1, this.#stopped.message));
    if (this.#final) return Promise.reject(errors.checkpointAbandoned(job, this.#lastId + 1, 'the job is stopping after its final checkpoint'));
    if (stop) this.#final = true;
    const { clock, splitCounters, timeoutMs } = this.#setup;
    const id = ++this.#lastId;
    const claims: Record<number, number> = {};
    // Before any barrier is injected: every claim made so far is covered by some reader's offset.
    for (const [node, buffer] of Object.entries(splitCounters)) claims[Number(node)] = claimsMade(buffer);
    return new Promise<CompletedCheckpoint>((resolve, reject) => {
      const timeout = clock.setTimeout(() => this.#abandon(id, `not complete within checkpointTimeoutMs (${timeoutMs} ms)`), timeoutMs);
      this.#pending.set(id, { id, triggeredAt: clock.now(), claims, timeout, resolve, reject });
      this.#setup.collect(id, stop).then(
        (snapshots) => this.#complete(id, snapshots.flat()),
        (error: Error) => this.#abandon(id, error.message),
      );
    });
  }

  /** A stop failed (its final checkpoint abandoned, or the savepoint not written): the sources read on, and checkpoints are taken again. */
  resumeAfterStop(): void {
    this.#final = false;
  }

  /** The job ended: pending checkpoints are abandoned, no more are taken. */
  stop(reason: string): void {
    if (this.#stopped) return;
    this.#stopped = new Error(reason);
    if (this.#interval !== undefined) this.#setup.clock.clearTimeout(this.#interval);
    this.#interval = undefined;
    for (const id of [...this.#pending.keys()]) this.#abandon(id, reason);
  }

  /**
   * The job's attempt failed and it restarts: pending checkpoints are abandoned and no periodic one
   * is taken until `start()` again; ids go on counting, completed checkpoints are kept.
   */
  pause(reason: string): void {
    if (this.#interval !== undefined) this.#setup.clock.clearTimeout(this.#interval);
    this.#interval = undefined;
    for (const id of [...this.#pending.keys()]) this.#abandon(id, reason);
  }

  #abandon(id: number, reason: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#setup.clock.clearTimeout(pending.timeout);
    this.#setup.abort(id);
    const error = errors.checkpointAbandoned(this.#setup.graph.job, id, reason);
    pending.reject(error);
    this.#setup.onAbandoned(id, error);
  }

  #complete(id: number, snapshots: ActorSnapshot[]): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    const { graph, plan, clock, splitCounters } = this.#setup;
    const splits: Record<string, SplitCounterState> = {};
    for (const [node, buffer] of Object.entries(splitCounters)) {
      const state = splitStateAt(buffer, pending.claims[Number(node)]!, id);
      if (!state) return this.#abandon(id, `source "${displayName(graph.node(Number(node)))}" claimed too many splits while it was taken`);
      splits[operatorKey(graph.node(Number(node)))] = state;
    }
    const operators: Record<string, OperatorCheckpoint> = {};
    const alignmentMs: Record<string, number> = {};
    let bytes = 0;
    for (const s of snapshots) {
      const chain = plan.chains[s.chain]!;
      alignmentMs[s.name] = s.alignmentMs;
      bytes += s.bytes;
      for (const { key, node, name, state } of s.states) {
        const n = graph.node(node);
        const op = (operators[key] ??= { name, node, ...(n.uid !== undefined ? { uid: n.uid } : {}), parallelism: chain.parallelism, subtasks: [] });
        op.subtasks[s.index] = state.kind === 'serialized-stage' ? storedStage(state) : state;
      }
    }
    const completedAt = clock.now();
    const summary: CheckpointSummary = { id, durationMs: completedAt - pending.triggeredAt, bytes, alignmentMs };
    const checkpoint: CompletedCheckpoint = {
      format: 'weir-checkpoint',
      version: 1,
      job: graph.job,
      id,
      triggeredAt: pending.triggeredAt,
      completedAt,
      maxParallelism: plan.maxParallelism,
      operators,
      splits,
      summary,
    };
    this.#pending.delete(id);
    clock.clearTimeout(pending.timeout);
    // Checkpoints complete in id order here; one that completes after a newer one is still kept in order.
    this.#completed.push(checkpoint);
    this.#completed.sort((a, b) => a.id - b.id);
    while (this.#completed.length > this.#setup.retained) this.#completed.shift();
    this.#setup.onCompleted(checkpoint);
    pending.resolve(checkpoint);
  }
}
