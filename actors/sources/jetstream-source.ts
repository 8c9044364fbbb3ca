import { AckPolicy, DeliverPolicy, nanos, type Consumer, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';
import type { Source, SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { Collector } from '../../lib/operator/operator.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { connectorError, natsUrl, openNats, type Connection } from '../connectors/broker-connections.ts';
import { CheckpointAcks } from '../connectors/checkpoint-acks.ts';

/** A message of a JetStream stream: its subject, stream sequence number and payload (as UTF-8 text). */
export interface JetStreamMessage {
  subject: string;
  seq: number;
  data: string;
}

export interface JetStreamSourceOptions {
  /** The server; default `NATS_URL`, else `nats://127.0.0.1:4222`. */
  url?: string;
  stream: string;
  /**
   * The subjects (or wildcards) to read, shared out among the source's subtasks: subtask `i` of `p`
   * reads subjects `i`, `i + p`, … of this list, each through a durable consumer
   * `<durable>-<position in the list>`. Default: the stream's subjects.
   */
  subjects?: string[];
  /** The durable consumers' name prefix. */
  durable: string;
  /** Messages per pull, and what a subtask holds read ahead at most (default 256). */
  batch?: number;
  /** How long a pull waits at the server for a message (default 1000 ms). */
  expiresMs?: number;
  /**
   * How long the server waits for an acknowledgement before it delivers a message again (default
   * 5 minutes). Messages are acknowledged when the checkpoint that covers them completes: keep it
   * well above the checkpoint interval. A message delivered again that was already read is dropped.
   */
  ackWaitMs?: number;
  /**
   * Ends the source (a bounded job) once its consumers have no message pending: for streams written
   * before the job starts (backfills, tests). With checkpoints, each subtask first waits for a
   * checkpoint that covers its last message to complete, so that all it read is acknowledged.
   */
  stopAtEnd?: boolean;
}

/**
 * Reads a NATS JetStream stream through durable pull consumers (one per subject, acknowledging all
 * up to a message: `AckPolicy.All`). Messages are acknowledged only when the checkpoint that covers
 * them completes. The offset is the stream sequence of the last message emitted per subject; as a
 * reader opens, it re-creates its consumers to start after those (a restore) or after what they had
 * acknowledged (a new run of the job: what an earlier run read and never acknowledged comes again).
 *
 * Restores at the same parallelism only (subjects are shared out by it).
 *
 * @example
 * ```ts
 * env.from(sources.jetstream({ stream: 'ORDERS', subjects: ['orders.eu', 'orders.us'], durable: 'billing' }))
 *   .map((m) => JSON.parse(m.data) as Order)
 * ```
 */
export function jetstream(options: JetStreamSourceOptions): Source<JetStreamMessage> {
  const batch = options.batch ?? 256;
  if (!Number.isSafeInteger(batch) || batch < 1) throw errors.invalidOption('jetstream batch', batch, 'a whole number ≥ 1');
  const expiresMs = options.expiresMs ?? 1000;
  if (!Number.isSafeInteger(expiresMs) || expiresMs < 100) throw errors.invalidOption('jetstream expiresMs', expiresMs, 'a whole number of milliseconds ≥ 100');
  const ackWaitMs = options.ackWaitMs ?? 300_000;
  if (!Number.isSafeInteger(ackWaitMs) || ackWaitMs < 1000) throw errors.invalidOption('jetstream ackWaitMs', ackWaitMs, 'a whole number of milliseconds ≥ 1000');
  if (typeof options.stream !== 'string' || options.stream === '') throw errors.invalidOption('jetstream stream', options.stream, 'the name of a stream');
  if (typeof options.durable !== 'string' || !/^[\w-]+$/.test(options.durable)) throw errors.invalidOption('jetstream durable', options.durable, 'a consumer name: letters, digits, _ and -');
  const settings: Settings = { url: natsUrl(options.url), stream: options.stream, subjects: options.subjects, durable: options.durable, batch, expiresMs, ackWaitMs, stopAtEnd: options.stopAtEnd ?? false };
  return {
    name: 'jetstream',
    describe: { stream: settings.stream, subjects: settings.subjects ?? 'the stream\'s', durable: settings.durable, stopAtEnd: settings.stopAtEnd },
    open: (context) => new JetStreamReader(settings, context),
  };
}

interface Settings {
  url: string;
  stream: string;
  subjects: string[] | undefined;
  durable: string;
  batch: number;
  expiresMs: number;
  ackWaitMs: number;
  stopAtEnd: boolean;
}

/** One subject this reader reads, through its consumer. */
interface Feed {
  subject: string;
  consumer: Consumer;
  /** The last message emitted: its sequence is the offset, acknowledging it acknowledges all before. */
  last: JsMsg | undefined;
  /** Stream sequence of the last message emitted (also when restored, before any message came). */
  lastSeq: number;
  ackedSeq: number;
  /** Messages the consumer still has for this reader, as the last message (or the consumer's info) said. */
  pending: number;
  atEnd: boolean;
}

class JetStreamReader implements SourceReader<JetStreamMessage> {
  readonly #s: Settings;
  readonly #context: SourceContext;
  readonly #name: string;
  #connection: Connection<NatsConnection> | undefined;
  #opening: Promise<void> | undefined;
  #feeds: Feed[] | undefined;
  /** Where each subject was restored to (sequence of its last message emitted before the checkpoint). */
  #restored: Record<string, number> | undefined;
  /** Messages pulled and not emitted yet: fewer than two batches, as the next pull is made only when less than one is left. */
  #buffer: { feed: Feed; msg: JsMsg }[] = [];
  #fetching = false;
  /** The feed pulled from next (round robin). */
  #turn = 0;
  #error: Error | undefined;
  #closed = false;
  #acking: Promise<void> = Promise.resolve();
  readonly #checkpoints = new CheckpointAcks<{ feed: Feed; msg: JsMsg }[]>();

  constructor(settings: Settings, context: SourceContext) {
    this.#s = settings;
    this.#context = context;
    this.#name = `jetstream source "${settings.stream}" (durable ${settings.durable}, subtask ${context.subtaskIndex + 1}/${context.parallelism})`;
  }

  read(max: number, out: Collector<JetStreamMessage>): boolean {
    if (this.#error) throw this.#fail();
    this.#opening ??= this.#open();
    let emitted = 0;
    while (emitted < max && this.#buffer.length > 0) {
      const { feed, msg } = this.#buffer.shift()!;
      // Delivered again (its ack wait passed before its checkpoint completed): already emitted.
      if (msg.seq <= feed.lastSeq) continue;
      out.collect({ subject: msg.subject, seq: msg.seq, data: msg.string() });
      feed.last = msg;
      feed.lastSeq = msg.seq;
      emitted++;
    }
    const feeds = this.#feeds;
    if (feeds === undefined) return true;
    if (this.#buffer.length === 0 && !this.#fetching && feeds.every((f) => f.atEnd)) return !this.#finished(feeds);
    // The next pull is made while this one's messages are emitted: at most two batches are held.
    if (this.#buffer.length < this.#s.batch) this.#fetch();
    return true;
  }

  /** At the end (stopAtEnd): done once what was emitted is acknowledged, or nothing will acknowledge it (no checkpoints). */
  #finished(feeds: Feed[]): boolean {
    return !this.#checkpoints.checkpointing || feeds.every((f) => f.ackedSeq >= f.lastSeq);
  }

  offset(checkpointId?: number): JsonValue {
    const seqs: Record<string, number> = { ...this.#restored };
    const covered: { feed: Feed; msg: JsMsg }[] = [];
    for (const feed of this.#feeds ?? []) {
      if (feed.lastSeq > 0) seqs[feed.subject] = feed.lastSeq;
      if (feed.last) covered.push({ feed, msg: feed.last });
    }
    this.#checkpoints.taken(checkpointId, covered);
    return { seqs };
  }

  seek(offset: JsonValue): void {
    this.#restored = (offset as { seqs: Record<string, number> }).seqs;
    this.#checkpoints.restored();
  }

  checkpointComplete(checkpointId: number): void {
    const covered = this.#checkpoints.completed(checkpointId);
    if (covered === undefined || covered.length === 0) return;
    this.#acking = this.#acking.then(async () => {
      try {
        for (const { feed, msg } of covered) {
          if (msg.seq <= feed.ackedSeq) continue;
          // AckPolicy.All: this acknowledges every message of the consumer up to it.
          await msg.ackAck();
          feed.ackedSeq = msg.seq;
        }
        this.#context.wakeUp();
      } catch (cause) {
        if (!this.#closed) this.#failed(connectorError(this.#name, this.#s.url, `acknowledging checkpoint ${checkpointId}`, cause));
      }
    });
  }

  close(): void {
    this.#closed = true;
    void this.#acking.finally(() => this.#connection?.close()).catch(() => {});
  }

  async #open(): Promise<void> {
    try {
      this.#connection = await openNats(this.#name, this.#s.url, (error) => this.#failed(error));
      const nc = this.#connection.client;
      const jsm = await nc.jetstreamManager();
      const all = this.#s.subjects ?? (await jsm.streams.info(this.#s.stream)).config.subjects;
      const { subtaskIndex, parallelism } = this.#context;
      const feeds: Feed[] = [];
      for (let i = subtaskIndex; i < all.length; i += parallelism) feeds.push(await this.#feed(nc, jsm, all[i]!, `${this.#s.durable}-${i}`));
      this.#feeds = feeds;
    } catch (cause) {
      this.#failed(connectorError(this.#name, this.#s.url, 'opening its consumers', cause));
      return;
    }
    this.#context.wakeUp();
  }

  /**
   * The consumer of one subject, created anew to start after the restored offset, or (a new run)
   * after what the durable consumer had acknowledged: its unacknowledged messages come at once,
   * instead of after their ack wait.
   */
  async #feed(nc: NatsConnection, jsm: JetStreamManager, subject: string, name: string): Promise<Feed> {
    let acked = 0;
    try {
      acked = (await jsm.consumers.info(this.#s.stream, name)).ack_floor.stream_seq;
      await jsm.consumers.delete(this.#s.stream, name);
    } catch (cause) {
      if (!/consumer not found/i.test(String((cause as Error).message))) throw cause;
    }
    const restored = this.#restored?.[subject];
    const after = restored ?? acked;
    await jsm.consumers.add(this.#s.stream, {
      durable_name: name,
      filter_subject: subject,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(this.#s.ackWaitMs),
      max_ack_pending: -1,
      ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : { deliver_policy: DeliverPolicy.All }),
    });
    const consumer = await nc.jetstream().consumers.get(this.#s.stream, name);
    const pending = (await consumer.info()).num_pending;
    return { subject, consumer, last: undefined, lastSeq: restored ?? 0, ackedSeq: after, pending, atEnd: false };
  }

  /** Pulls the next batch from the next subject not at its end, in the background. */
  #fetch(): void {
    const feeds = this.#feeds;
    if (this.#fetching || this.#closed || feeds === undefined || this.#error) return;
    const open = feeds.filter((f) => !f.atEnd);
    if (open.length === 0) return;
    const feed = open[this.#turn++ % open.length]!;
    if (this.#s.stopAtEnd && feed.pending === 0) {
      // A pull for more than the consumer has waits its whole expiry at the server: the end is known.
      feed.atEnd = true;
      this.#context.wakeUp();
      return;
    }
    this.#fetching = true;
    void (async () => {
      const max = this.#s.stopAtEnd ? Math.min(this.#s.batch, feed.pending) : this.#s.batch;
      const messages = await feed.consumer.fetch({ max_messages: max, expires: this.#s.expiresMs });
      for await (const msg of messages) {
        this.#buffer.push({ feed, msg });
        feed.pending = msg.info.pending;
        // Emitted as they come: a pull waits at the server until it has `max` messages or expires.
        this.#context.wakeUp();
      }
    })()
      .then(() => {
        this.#fetching = false;
        this.#context.wakeUp();
      })
      .catch((cause: unknown) => {
        this.#fetching = false;
        if (!this.#closed) this.#failed(connectorError(this.#name, this.#s.url, `pulling messages of ${feed.subject}`, cause));
      });
  }

  #failed(error: Error): void {
    this.#error ??= error;
    this.#context.wakeUp();
  }

  #fail(): Error {
    this.close();
    return this.#error!;
  }
}
