import type { MessagePort } from 'node:worker_threads';
import type { Source, SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { IngressReply, IngressRequest } from '../../lib/operator/ingress-protocol.ts';
import { errors } from '../../lib/errors.ts';

export interface InputOptions {
  /**
   * Records written with `handle.input(name).write()` that may wait unread (in the coordinator, and
   * on their way to the job) before `write()` makes the writer wait; default 1024. The reader asks
   * for up to this many at a time (at most 1024), and asks again once half of them are read.
   */
  capacity?: number;
}

/** Records a reader asks for at once at most: a pull's reply is one message, copied whole. */
const MAX_PULL = 1024;

/**
 * Records pushed by the process that runs the job (a daemon): `handle.input<T>(name).write(record)`
 * resolves once the job has room for more (the daemon is paced by the job, nothing is buffered
 * without bound), `end()` ends the source, and with it a bounded job.
 *
 * The coordinator numbers the records and keeps them in a log until a completed checkpoint covers
 * them (the reader's offset is the next number): after a restart the reader seeks to its checkpoint
 * and the coordinator sends again what came after it, so a job with periodic checkpoints
 * (`checkpointIntervalMs`) has exactly-once state for pushed records. Without periodic checkpoints
 * the log drops records as soon as the job has them, and a restart goes on from the first record
 * the failed attempt had not taken (what it had taken is lost with its state).
 *
 * An input runs at parallelism 1 (one ordered log, one reader): fan out after it with `rebalance()`
 * or `keyBy()`. Input names are unique within a job.
 *
 * @example
 * ```ts
 * // job module
 * export default job('orders', (env) => {
 *   env.from(sources.input<Order>('orders')).keyBy((o) => o.customer).sum('amount').to(sinks.collect('totals'));
 * });
 * // daemon
 * const handle = await run(module, { checkpointIntervalMs: 1000 });
 * const orders = handle.input<Order>('orders');
 * for await (const order of incoming) await orders.write(order);
 * await orders.end();
 * ```
 */
export function input<T>(name: string, options: InputOptions = {}): Source<T> {
  if (typeof name !== 'string' || name.length === 0) throw errors.invalidOption('input name', name, 'a non-empty string');
  const capacity = options.capacity ?? 1024;
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw errors.invalidOption(`input("${name}") capacity`, capacity, 'a whole number ≥ 1 (records)');
  return {
    name: 'input',
    describe: { name, capacity },
    ingress: { name, capacity },
    open: (context) => new InputReader<T>(name, Math.min(capacity, MAX_PULL), context),
  };
}

/**
 * The input's reader: it keeps what it pulled in a buffer, emits from it, and pulls again when half
 * of it is read, so records are on their way before the buffer runs dry. A reply wakes the subtask.
 */
class InputReader<T> implements SourceReader<T> {
  readonly #port: MessagePort;
  /** Pulled records not yet emitted; `#head` is the first of them. */
  #buffer: readonly unknown[] = [];
  #head = 0;
  /** The sequence number of `#buffer[#head]`: the offset. */
  #position = 0;
  /** The pull awaiting its reply (0: none); replies to older pulls (before a seek) are dropped. */
  #pulling = 0;
  #pulls = 0;
  #ended = false;
  #closed = false;

  constructor(
    readonly name: string,
    /** Records asked for at once. */
    readonly batch: number,
    private readonly context: SourceContext,
  ) {
    const port = context.ingressPort?.(name);
    if (!port) throw errors.internal(`input "${name}" opened on subtask ${context.subtaskIndex + 1}/${context.parallelism} without its port to the coordinator`);
    this.#port = port;
    port.on('message', (reply: IngressReply) => this.#receive(reply));
  }

  read(max: number, out: { collect(record: T): void }): boolean {
    const buffer = this.#buffer;
    let head = this.#head;
    const until = Math.min(buffer.length, head + max);
    while (head < until) out.collect(buffer[head++] as T);
    this.#position += head - this.#head;
    this.#head = head;
    const left = buffer.length - head;
    if (left === 0 && this.#ended) return false;
    if (left <= this.batch / 2 && this.#pulling === 0 && !this.#ended) this.#pull();
    return true;
  }

  offset(): number {
    return this.#position;
  }

  seek(offset: unknown): void {
    this.#position = offset as number;
    this.#buffer = [];
    this.#head = 0;
    this.#ended = false;
    this.#pulling = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
  }

  #pull(): void {
    const left = this.#buffer.length - this.#head;
    const request: IngressRequest = { type: 'pull', id: ++this.#pulls, from: this.#position + left, max: this.batch };
    this.#pulling = request.id;
    this.#port.postMessage(request);
  }

  #receive(reply: IngressReply): void {
    if (reply.id !== this.#pulling) return;
    this.#pulling = 0;
    if (reply.type === 'end') this.#ended = true;
    else {
      // Records already emitted are dropped from the buffer here, not as they are read: a read costs an index move.
      const left = this.#buffer.slice(this.#head);
      // A reply from a later number than asked (records gone before a restart without checkpoints) moves the offset.
      if (left.length === 0) this.#position = reply.from;
      this.#buffer = left.length === 0 ? reply.records : left.concat(reply.records);
      this.#head = 0;
    }
    this.context.wakeUp();
  }
}
