import { xstate } from '../util/packages.ts';
import type { SourceReader } from '../api/connectors.ts';
import type { OutputChannel } from '../channel/channel.ts';
import { ChannelWriter } from '../channel/channel-writer.ts';
import { createRouter, type RouteSpec } from '../channel/router.ts';
import type { InputGate } from '../channel/input-gate.ts';
import { errors, type SubtaskLocation } from '../errors.ts';
import { displayName, type LogicalGraph } from '../graph/logical-graph.ts';
import type { ChainPlan, ResolvedPartition } from '../plan/physical-plan.ts';
import type { Key } from '../state/key-groups.ts';
import { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { RecordBatch } from '../protocol/messages.ts';
import type { Clock, Timer } from '../util/clock.ts';
import { specialize } from '../util/specialize.ts';
import { actorMachine, type ActorStatus } from './actor-machine.ts';
import { Chain, userError, type ChainLink } from './chain.ts';
import type { Collector, Operator, OperatorContext } from './operator.ts';
import type { Schedulable, Scheduler } from './scheduler.ts';

export interface ActorSetup {
  readonly graph: LogicalGraph;
  readonly chain: ChainPlan;
  readonly index: number;
  readonly maxParallelism: number;
  readonly params: unknown;
  readonly gate: InputGate;
  /** Output edges in plan order (the egress, if any, last), each with its channels in slot order. */
  readonly outputs: readonly ActorOutput[];
  /** The shared split counter of each source node, by node id (see `SourceContext.nextSplit`). */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  readonly batchSize: number;
  readonly bufferTimeoutMs: number;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  /** Called once, when the actor reaches finished or failed. */
  readonly onDone: (actor: SubtaskActor, error?: Error) => void;
}

/** One output edge of an actor. */
export interface ActorOutput {
  readonly partition: ResolvedPartition;
  readonly channels: readonly OutputChannel[];
  /** What each channel leads to, for metrics (e.g. `vwap 2/4`). */
  readonly targets: readonly string[];
  readonly keyOf?: (record: unknown) => Key;
  /** The operator a failing key selector is reported as, e.g. `keyBy → vwap`. */
  readonly operator: string;
}

/** What one actor reports in `JobHandle.metrics()`. */
export interface ActorMetrics {
  chain: number;
  index: number;
  status: ActorStatus;
  recordsIn: number;
  recordsOut: number;
  /** Input messages waiting in the mailbox. */
  queued: number;
  /** Mailbox capacity in messages (sum over input channels). */
  capacity: number;
  /** Batches waiting for credit across this actor's output channels. */
  backlog: number;
  /** How often a source stopped because an output channel had no credit. */
  pauses: number;
  /** True while a source is stopped for lack of credit. */
  paused: boolean;
  keys: number;
  channels: { to: string; capacity: number; inFlight: number; maxInFlight: number; batchesSent: number }[];
}

/** Runs a batch from the mailbox through the chain; copied per actor (see specialize). */
const deliverBatch =
  (head: Collector<unknown>) =>
  (batch: RecordBatch): void => {
    for (let r = 0; r < batch.length; r++) head.collect(batch[r]);
  };

/** Counts what a source emits on the way into its chain; copied per actor (see specialize). */
const countThenCollect =
  (counts: { recordsIn: number }, head: Collector<unknown>) =>
  (record: unknown): void => {
    counts.recordsIn++;
    head.collect(record);
  };

/**
 * One subtask: a mailbox (input gate), a chain of operators, and writers to its output channels.
 * Each `step` processes one input message (or reads one batch from a source) and stops when an
 * output has no credit; credit arriving makes it runnable again.
 */
export class SubtaskActor implements Schedulable {
  scheduled = false;
  readonly name: string;
  readonly #lifecycle = xstate.createActor(actorMachine).start();
  readonly #setup: ActorSetup;
  readonly #keyed: KeyedStateBackend;
  #chain!: Chain;
  #reader: SourceReader<unknown> | undefined;
  /** Runs a batch from the mailbox through the chain. */
  #deliver: (batch: RecordBatch) => void = () => {};
  #counted: Collector<unknown> | undefined;
  #flushTimer: Timer | undefined;
  /** Records taken from the mailbox, or emitted by the source: an object, so that the source's counting copy can reach it. */
  readonly #counts = { recordsIn: 0 };
  #pauses = 0;
  #paused = false;
  readonly #capacity: number;
  readonly #writers: ChannelWriter[] = [];
  readonly #targets: string[] = [];
  readonly #router: Collector<unknown>;
  /** Records a source reads between credit checks: the smallest batch of its outputs. */
  readonly #readChunk: number;

  constructor(setup: ActorSetup) {
    this.#setup = setup;
    const sender = { job: setup.graph.job, operator: setup.chain.name, subtaskIndex: setup.index, parallelism: setup.chain.parallelism };
    const routes: RouteSpec[] = setup.outputs.map((output) => {
      const writers = output.channels.map(
        (c, i) => new ChannelWriter(c, setup.batchSize, this.armFlushTimer, (record, cause) => errors.notCloneable(sender, output.targets[i]!, record, cause)),
      );
      this.#writers.push(...writers);
      this.#targets.push(...output.targets);
      return {
        partition: output.partition,
        writers,
        maxParallelism: setup.maxParallelism,
        start: setup.index,
        at: { job: setup.graph.job, operator: output.operator, subtaskIndex: setup.index, parallelism: setup.chain.parallelism },
        ...(output.keyOf ? { keyOf: output.keyOf } : {}),
      };
    });
    this.#router = createRouter(routes);
    this.#readChunk = this.#writers.reduce((n, w) => Math.min(n, w.batchSize), setup.batchSize);
    this.name = `${setup.chain.name} (${setup.index + 1}/${setup.chain.parallelism})`;
    this.#keyed = new KeyedStateBackend(setup.index, setup.chain.parallelism, setup.maxParallelism);
    this.#capacity = setup.gate.channels.reduce((n, c) => n + c.capacity, 0);
    for (const writer of this.#writers) writer.channel.onCredit = () => this.#onCredit(writer);
    for (const channel of setup.gate.channels) channel.onMessage = () => this.#setup.scheduler.schedule(this);
  }

  get status(): ActorStatus {
    return this.#lifecycle.getSnapshot().value as ActorStatus;
  }

  /** Creates and opens the operator instances; a throwing `open` fails the actor. */
  open(): void {
    const { graph, chain, index, params, maxParallelism } = this.#setup;
    try {
      const links: ChainLink[] = [];
      for (const id of chain.nodes) {
        const node = graph.node(id);
        const at = { job: graph.job, operator: displayName(node), subtaskIndex: index, parallelism: chain.parallelism };
        if (node.kind === 'source') {
          try {
            const counter = new Int32Array(this.#setup.splitCounters[id]!);
            this.#reader = node.source!.open({
              subtaskIndex: index,
              parallelism: chain.parallelism,
              nextSplit: () => Atomics.add(counter, 0, 1),
            });
          } catch (cause) {
            throw userError(cause, at);
          }
          continue;
        }
        const operator = node.createOperator!();
        const context: OperatorContext = {
          job: graph.job,
          operator: at.operator,
          subtaskIndex: index,
          parallelism: chain.parallelism,
          maxParallelism,
          params,
          keyOf:
            node.keyOf ??
            (() => {
              throw errors.invalidGraph(graph.job, `operator "${at.operator}" asked for a key, but its input is not keyed; use keyBy() first.`);
            }),
          keyedValueState: (name) => this.#keyed.value(`${node.id}/${name}`),
        };
        try {
          operator.open?.(context);
        } catch (cause) {
          throw userError(cause, at);
        }
        const input = node.inputs[0];
        const fusedKeyBy = id !== chain.nodes[0] && input?.partition.type === 'hash';
        links.push({
          operator,
          at,
          ...(fusedKeyBy ? { keyBy: { keyOf: input.partition.key, at: { ...at, operator: `keyBy → ${at.operator}` } } } : {}),
        });
      }
      this.#chain = new Chain(links, this.#router);
      const head = this.#chain.head;
      // One copy per actor (see specialize): a loop shared by every actor of the worker would call
      // many different heads and inline none of them.
      this.#deliver = specialize(deliverBatch, head);
      if (this.#reader) {
        // Sources count what they emit here; other actors count per batch taken from the mailbox.
        // A copy per actor (see specialize), as the source's records all pass through it.
        this.#counted = { collect: specialize(countThenCollect, this.#counts, head) };
      }
      this.#lifecycle.send({ type: 'OPENED' });
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /** Sources begin reading; other actors wait for input. */
  start(): void {
    if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  cancel(): void {
    this.#clearFlushTimer();
    this.#lifecycle.send({ type: 'CANCEL' });
    this.#reader?.close?.();
  }

  runnable(): boolean {
    if (this.status !== 'running' || this.#blocked()) return false;
    return this.#reader ? true : this.#setup.gate.hasInput();
  }

  step(): void {
    if (this.status !== 'running') return;
    try {
      if (this.#reader) this.#readSource();
      else this.#processInput();
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /**
   * Reads up to `batchSize` records, in chunks of the smallest output batch, and stops as soon as an
   * output runs out of credit: what a source reads beyond that waits in a backlog, as live objects.
   */
  #readSource(): void {
    const reader = this.#reader!;
    for (let read = 0; read < this.#setup.batchSize && !this.#blocked(); read += this.#readChunk) {
      if (!reader.read(this.#readChunk, this.#counted!)) {
        this.#endInput();
        return;
      }
    }
    if (this.#blocked()) {
      this.#pauses++;
      this.#paused = true;
    }
  }

  #processInput(): void {
    const { gate } = this.#setup;
    const i = gate.next();
    if (i < 0) return;
    const channel = gate.channels[i]!;
    const message = channel.take()!;
    switch (message.type) {
      case 'batch': {
        const { batch } = message;
        this.#counts.recordsIn += batch.length;
        this.#deliver(batch);
        break;
      }
      case 'end':
        if (gate.end(i)) this.#endInput();
        break;
      case 'watermark':
      case 'barrier':
        // Neither is emitted by any source or operator yet: event time and checkpoints build on
        // this protocol. Their slot keeps them ordered with the data and costs credit like a batch.
        break;
    }
    channel.release();
  }

  #endInput(): void {
    this.#chain.close();
    this.#clearFlushTimer();
    this.#reader?.close?.();
    for (const writer of this.#writers) writer.control({ type: 'end' });
    this.#lifecycle.send({ type: 'INPUT_ENDED' });
    this.#maybeFinished();
  }

  #maybeFinished(): void {
    if (this.status === 'finishing' && !this.#blocked()) {
      this.#lifecycle.send({ type: 'DRAINED' });
      this.#setup.onDone(this);
    }
  }

  #blocked(): boolean {
    const writers = this.#writers;
    for (let i = 0; i < writers.length; i++) if (writers[i]!.blocked) return true;
    return false;
  }

  #onCredit(writer: ChannelWriter): void {
    try {
      if (!writer.drain()) return;
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (this.#blocked()) return;
    this.#paused = false;
    if (this.status === 'finishing') this.#maybeFinished();
    else if (this.runnable()) this.#setup.scheduler.schedule(this);
  }

  /** The buffer timeout: partly filled batches leave after `bufferTimeoutMs` even when the stream is slow. */
  readonly armFlushTimer = (): void => {
    if (this.#flushTimer !== undefined || this.status !== 'running') return;
    this.#flushTimer = this.#setup.clock.setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.status !== 'running') return;
      try {
        for (const writer of this.#writers) writer.flush();
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      if (this.#writers.some((w) => w.buffered > 0)) this.armFlushTimer();
    }, this.#setup.bufferTimeoutMs);
  };

  #clearFlushTimer(): void {
    if (this.#flushTimer !== undefined) this.#setup.clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  #fail(error: Error): void {
    const status = this.status;
    if (status === 'failed' || status === 'cancelled' || status === 'finished') return;
    this.#clearFlushTimer();
    this.#lifecycle.send({ type: 'FAIL' });
    this.#setup.onDone(this, error);
  }

  metrics(): ActorMetrics {
    const { gate, chain, index } = this.#setup;
    const writers = this.#writers;
    let recordsOut = 0;
    let backlog = 0;
    for (const w of writers) {
      recordsOut += w.recordsSent;
      backlog += w.backlog.length;
    }
    return {
      chain: chain.id,
      index,
      status: this.status,
      recordsIn: this.#counts.recordsIn,
      recordsOut,
      queued: gate.queued,
      capacity: this.#capacity,
      backlog,
      pauses: this.#pauses,
      paused: this.#paused,
      keys: this.#keyed.keyCount,
      channels: writers.map((w, i) => ({
        to: this.#targets[i]!,
        capacity: w.channel.capacity,
        inFlight: w.inFlight,
        maxInFlight: w.maxInFlight,
        batchesSent: w.batchesSent,
      })),
    };
  }
}
