import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { operatorKey, type CompletedCheckpoint } from '../checkpoint/checkpoint.ts';
import { errors } from '../errors.ts';
import type { LogicalGraph, LogicalNode } from '../graph/logical-graph.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { whenClosed } from '../channel/port-channel.ts';
import type { IngressReply, IngressRequest } from '../operator/ingress-protocol.ts';

/**
 * The embedding process's end of a daemon input (`sources.input(name)`), from `handle.input(name)`.
 *
 * @example
 * ```ts
 * const orders = handle.input<Order>('orders');
 * for await (const order of incoming) await orders.write(order); // paced by the job
 * await orders.end();
 * ```
 */
export interface JobInput<T> {
  /**
   * Appends `record` to the input. Resolves once the records written and not yet read by the job
   * are no more than the input's `capacity`: a writer that awaits each write is paced by the job,
   * and weir holds at most `capacity` unread records (plus, with periodic checkpoints, those read
   * since the last completed checkpoint, kept for a replay). Rejects after `end()` (WEIR_E_INPUT),
   * and with the job's error once the job failed (WEIR_E_INPUT once it ended otherwise). The record
   * is copied to the job later: do not change it after writing it.
   */
  write(record: T): Promise<void>;
  /** Ends the input (a job whose sources all ended finishes); resolves once the job has read every record written. */
  end(): Promise<void>;
  /** Records written and not yet sent to the job: above the input's `capacity`, `write()` waits. */
  readonly unread: number;
  /**
   * The number the next written record gets (records are numbered from 0 in the order written). In
   * a job restored from a checkpoint (`restoreFrom`) it starts at what the checkpoint's reader had
   * read: a daemon that numbers its records writes again from there, and nothing is lost or twice.
   */
  readonly next: number;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** Records dropped from the front of the log before the array is compacted: a shift per record would be quadratic. */
const COMPACT_AFTER = 4096;

/**
 * The coordinator's log of one input: the records written and not yet covered by a completed
 * checkpoint (`keep`), or not yet sent to the job (without periodic checkpoints), numbered from
 * `#base`. It answers its reader's pulls (see protocol/ingress.ts), one attempt's reader at a time.
 */
export class IngressLog<T = unknown> implements JobInput<T> {
  #records: unknown[] = [];
  /** Index in `#records` of the record numbered `#base`. */
  #head = 0;
  #base: number;
  /** Records before this number were sent to the current reader: the unread ones are from here. */
  #delivered: number;
  #ended = false;
  /** The job is over: writes reject with it. */
  #closed: Error | undefined;
  #port: MessagePort | undefined;
  /** Resolves at the port's 'close', listened for from the start: the reader may close its end first. */
  #portClosed: Promise<void> = Promise.resolve();
  #pending: IngressRequest | undefined;
  /** Writes waiting for credit. */
  #writers: Waiter[] = [];
  /** `end()` calls waiting for the reader to have every record. */
  #enders: Waiter[] = [];
  #endSent = false;

  constructor(
    readonly job: string,
    readonly name: string,
    /** Unread records at most before a write waits. */
    readonly capacity: number,
    /** Keep what the reader has until a completed checkpoint covers it (the job takes periodic checkpoints). */
    readonly keep: boolean,
    /** The number of the first record: the offset a restored job's reader resumes from. */
    base: number,
  ) {
    this.#base = base;
    this.#delivered = base;
  }

  /** The number the next written record gets. */
  get next(): number {
    return this.#base + this.#records.length - this.#head;
  }

  /** Records written that the job has not been sent yet. */
  get unread(): number {
    return this.next - this.#delivered;
  }

  /** Records held here: unread, and read but not yet covered by a checkpoint. */
  get held(): number {
    return this.#records.length - this.#head;
  }

  write(record: T): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#ended) return Promise.reject(errors.inputMisuse(this.job, this.name, 'was written after end(); write every record before ending the input'));
    this.#records.push(record);
    this.#serve();
    if (this.unread <= this.capacity) return Promise.resolve();
    return new Promise((resolve, reject) => this.#writers.push({ resolve, reject }));
  }

  end(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    this.#ended = true;
    this.#serve();
    if (this.#endSent) return Promise.resolve();
    return new Promise((resolve, reject) => this.#enders.push({ resolve, reject }));
  }

  /** The reader of a new attempt: its pulls come on `port`. */
  attach(port: MessagePort): void {
    void this.detach();
    this.#port = port;
    this.#portClosed = whenClosed(port);
    port.on('message', (request: IngressRequest) => {
      this.#pending = request;
      // The reader has everything before `from`: after a restart, what came after its checkpoint is unread again.
      this.#delivered = Math.max(request.from, this.#base);
      this.#serve();
    });
  }

  /**
   * The attempt ended: its reader's pull is dropped with its port. Resolves once the port is closed
   * (a turn after `close()`, until when it still counts as an active handle of the process).
   */
  detach(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    this.#pending = undefined;
    if (!port) return Promise.resolve();
    port.close();
    return this.#portClosed;
  }

  /** A completed checkpoint holds the reader at `offset`: the records before it will never be read again. */
  acknowledge(offset: number): void {
    if (this.keep) this.#drop(Math.min(offset, this.#delivered));
  }

  /** The job ended: waiting writers and later calls get `error`. Resolves once its port is closed. */
  close(error: Error): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = error;
    const closed = this.detach();
    this.#records = [];
    this.#head = 0;
    for (const waiter of this.#writers.splice(0)) waiter.reject(error);
    for (const waiter of this.#enders.splice(0)) waiter.reject(error);
    return closed;
  }

  /** Answers the pending pull, if there is something to answer with. */
  #serve(): void {
    const request = this.#pending;
    const port = this.#port;
    if (!request || !port) return;
    const from = Math.max(request.from, this.#base);
    const next = this.next;
    let reply: IngressReply;
    if (from < next) {
      const start = this.#head + (from - this.#base);
      const records = this.#records.slice(start, start + Math.min(request.max, next - from));
      reply = { type: 'records', id: request.id, from, records };
      this.#delivered = from + records.length;
      if (!this.keep) this.#drop(this.#delivered);
    } else if (this.#ended) {
      reply = { type: 'end', id: request.id, at: next };
      this.#endSent = true;
    } else return;
    this.#pending = undefined;
    port.postMessage(reply);
    if (this.unread <= this.capacity) for (const waiter of this.#writers.splice(0)) waiter.resolve();
    if (this.#endSent) for (const waiter of this.#enders.splice(0)) waiter.resolve();
  }

  /** Forgets the records numbered below `until`. */
  #drop(until: number): void {
    const count = Math.min(until - this.#base, this.#records.length - this.#head);
    if (count <= 0) return;
    // Drop the references now (the records can be collected), compact the array now and then.
    this.#records.fill(undefined, this.#head, this.#head + count);
    this.#head += count;
    this.#base += count;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Where an input's reader runs, and its log. */
interface Input {
  readonly node: LogicalNode;
  /** The plan's chain that reads it: a region restart of that chain gives it a new port. */
  readonly chain: number;
  readonly worker: number;
  readonly log: IngressLog;
}

/**
 * The daemon inputs of one job, on the coordinator: a log per input, which outlives the job's
 * attempts, and a fresh port to its reader for each attempt. The coordinator calls it at four
 * points only: deploying an attempt (`ports`), tearing one down (`detach`), a completed checkpoint
 * (`checkpointCompleted`) and the job's end (`close`).
 */
export class Ingress {
  readonly #inputs = new Map<string, Input>();

  constructor(
    readonly graph: LogicalGraph,
    plan: PhysicalPlan,
    /** Periodic checkpoints: logs keep what they sent until a checkpoint covers it. */
    keep: boolean,
    /** The checkpoint the job starts from: each input's numbering resumes at its reader's offset. */
    restore: CompletedCheckpoint | undefined,
  ) {
    for (const node of graph.nodes) {
      const ingress = node.source?.ingress;
      if (!ingress) continue;
      const chain = plan.chains.find((c) => c.links.some((l) => l.node === node.id));
      if (!chain) throw errors.internal(`input "${ingress.name}" is in no chain of the plan`);
      if (chain.parallelism !== 1) throw errors.invalidGraph(graph.job, `input "${ingress.name}" runs at parallelism ${chain.parallelism}; an input runs at parallelism 1 (rebalance() or keyBy() after it to spread its records).`);
      const log = new IngressLog(graph.job, ingress.name, ingress.capacity, keep, offsetIn(restore, node) ?? 0);
      this.#inputs.set(ingress.name, { node, chain: chain.id, worker: chain.workers[0]!, log });
    }
  }

  get names(): string[] {
    return [...this.#inputs.keys()];
  }

  /** The log of input `name`, for `handle.input(name)`. */
  input<T>(name: string): JobInput<T> {
    const input = this.#inputs.get(name);
    if (!input) throw errors.unknownInput(this.graph.job, name, this.names);
    return input.log as IngressLog<T>;
  }

  /**
   * A port per input for a new attempt, or for the regions restarted in place whose `chains` read
   * inputs, by worker: the worker's end of each input it reads, by name.
   */
  ports(workers: number, chains?: ReadonlySet<number>): Record<string, MessagePort>[] {
    const perWorker = Array.from({ length: workers }, () => ({}) as Record<string, MessagePort>);
    for (const [name, { worker, log, chain }] of this.#inputs) {
      if (chains && !chains.has(chain)) continue;
      const { port1, port2 } = new MessageChannel();
      log.attach(port2);
      perWorker[worker]![name] = port1;
    }
    return perWorker;
  }

  /** The attempt (or the regions of `chains`) ended: resolves once their inputs' ports are closed. */
  detach(chains?: ReadonlySet<number>): Promise<void> {
    const inputs = [...this.#inputs.values()].filter(({ chain }) => !chains || chains.has(chain));
    return Promise.all(inputs.map(({ log }) => log.detach())).then(() => {});
  }

  checkpointCompleted(checkpoint: CompletedCheckpoint): void {
    for (const { node, log } of this.#inputs.values()) {
      const offset = offsetIn(checkpoint, node);
      if (offset !== undefined) log.acknowledge(offset);
    }
  }

  /** Resolves once every input's port is closed. */
  close(error: Error): Promise<void> {
    return Promise.all([...this.#inputs.values()].map(({ log }) => log.close(error))).then(() => {});
  }
}

/** The input reader's offset in `checkpoint`, if it holds the input. */
function offsetIn(checkpoint: CompletedCheckpoint | undefined, node: LogicalNode): number | undefined {
  const state = checkpoint?.operators[operatorKey(node)]?.subtasks[0];
  return state?.kind === 'source' && typeof state.offset === 'number' ? state.offset : undefined;
}
