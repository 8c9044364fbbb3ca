import type { Redis } from 'ioredis';
import type { Source, SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { Collector } from '../../lib/operator/operator.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { connectorError, openRedis, redisUrl, type Connection } from '../connectors/broker-connections.ts';
import { CheckpointAcks } from '../connectors/checkpoint-acks.ts';

/** An entry of a Redis stream: its id (`<ms>-<seq>`) and its fields. */
export interface RedisStreamEntry {
  id: string;
  fields: Record<string, string>;
}

export interface RedisStreamSourceOptions {
  /** The server; default `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string;
  stream: string;
  /** The consumer group; created (with the stream) when missing. Subtask `i` reads as consumer `<group>-<i>`. */
  group: string;
  /** Where a group created here starts: `'0'` (default: every entry) or `'$'` (entries added from now on). */
  startId?: string;
  /** Entries per XREADGROUP, and what a subtask holds read ahead at most (default 256). */
  batch?: number;
  /** How long a read of new entries waits for one at the server (default 1000 ms). */
  blockMs?: number;
  /**
   * Ends the source (a bounded job) once the group has no new entry left for it: for streams
   * written before the job starts (backfills, tests). When the job takes checkpoints, each subtask
   * then waits for a checkpoint that covers its last entry to complete, so that every entry it read
   * is acknowledged before it ends. Default false: read for ever.
   */
  stopAtEnd?: boolean;
}

/** Entries acknowledged per XPENDING page. */
const ACK_PAGE = 1000;

/**
 * Reads a Redis stream through a consumer group: entries are shared among the source's subtasks
 * (each reads as its own consumer), and acknowledged (XACK) only when the checkpoint that covers
 * them completed. A subtask's offset is the id of the last entry it emitted; after a restart it
 * reads its consumer's pending entries after that id again (those at or before it are acknowledged:
 * their checkpoint completed), then new ones. Without checkpoints nothing is acknowledged: a later
 * reader of the group's consumer gets the entries again (its pending entries are read first).
 *
 * Restores at the same parallelism only (the consumers' pending entries are the offsets).
 *
 * @example
 * ```ts
 * env.from(sources.redisStream({ stream: 'orders', group: 'billing' }))
 *   .map((e) => ({ id: e.id, amount: Number(e.fields.amount) }))
 * ```
 */
export function redisStream(options: RedisStreamSourceOptions): Source<RedisStreamEntry> {
  const batch = options.batch ?? 256;
  if (!Number.isSafeInteger(batch) || batch < 1) throw errors.invalidOption('redisStream batch', batch, 'a whole number ≥ 1');
  const blockMs = options.blockMs ?? 1000;
  if (!Number.isSafeInteger(blockMs) || blockMs < 1) throw errors.invalidOption('redisStream blockMs', blockMs, 'a whole number of milliseconds ≥ 1');
  if (typeof options.stream !== 'string' || options.stream === '') throw errors.invalidOption('redisStream stream', options.stream, 'the name of a stream');
  if (typeof options.group !== 'string' || options.group === '') throw errors.invalidOption('redisStream group', options.group, 'the name of a consumer group');
  const settings: Settings = { url: redisUrl(options.url), stream: options.stream, group: options.group, startId: options.startId ?? '0', batch, blockMs, stopAtEnd: options.stopAtEnd ?? false };
  return {
    name: 'redis-stream',
    describe: { stream: settings.stream, group: settings.group, startId: settings.startId, stopAtEnd: settings.stopAtEnd },
    open: (context) => new RedisStreamReader(settings, context),
  };
}

interface Settings {
  url: string;
  stream: string;
  group: string;
  startId: string;
  batch: number;
  blockMs: number;
  stopAtEnd: boolean;
}

/** `a` after `b`, as stream ids: `<ms>-<seq>`, compared as numbers. */
export function idAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const ms = BigInt(am!) - BigInt(bm!);
  return ms === 0n ? BigInt(as ?? 0) > BigInt(bs ?? 0) : ms > 0n;
}

type Entries = [id: string, fields: string[] | null][];

class RedisStreamReader implements SourceReader<RedisStreamEntry> {
  readonly #s: Settings;
  readonly #context: SourceContext;
  readonly #name: string;
  readonly #consumer: string;
  /** Blocking reads (XREADGROUP … BLOCK) on one connection, acknowledgements on another: a blocked read would hold them up. */
  #reads: Connection<Redis> | undefined;
  #acks: Connection<Redis> | undefined;
  #opening: Promise<void> | undefined;
  /** The connections are open and the group exists: reads may begin (a poll during the opening must not start one). */
  #ready = false;
  /** Entries read and not emitted yet: fewer than two batches, as the next one is asked for only when less than one is left. */
  #buffer: RedisStreamEntry[] = [];
  #fetching = false;
  /** Reading the consumer's pending entries (after a restart) before new ones. */
  #phase: 'pending' | 'new' = 'pending';
  /** The id the next read of pending entries starts after. */
  #pendingAfter = '0';
  /** The id of the last entry emitted: the offset. */
  #last = '0-0';
  /** Acknowledged up to (and including) this id. */
  #ackedThrough = '0-0';
  /** The group has no new entry for this reader (stopAtEnd). */
  #atEnd = false;
  #error: Error | undefined;
  #closed = false;
  /** Acknowledgements run one after the other. */
  #acking: Promise<void> = Promise.resolve();
  readonly #checkpoints = new CheckpointAcks<string>();

  constructor(settings: Settings, context: SourceContext) {
    this.#s = settings;
    this.#context = context;
    this.#consumer = `${settings.group}-${context.subtaskIndex}`;
    this.#name = `redis stream source "${settings.stream}" (group ${settings.group}, consumer ${this.#consumer})`;
  }

  read(max: number, out: Collector<RedisStreamEntry>): boolean {
    if (this.#error) throw this.#fail();
    this.#opening ??= this.#open();
    let emitted = 0;
    while (emitted < max && this.#buffer.length > 0) {
      const entry = this.#buffer.shift()!;
      out.collect(entry);
      this.#last = entry.id;
      emitted++;
    }
    if (this.#buffer.length === 0 && this.#atEnd && !this.#fetching) return !this.#finished();
    // The next batch is asked for while this one is emitted: at most two batches are held.
    if (this.#buffer.length < this.#s.batch) this.#fetch();
    return true;
  }

  /** At the end (stopAtEnd): done once what was emitted is acknowledged, or nothing will acknowledge it (no checkpoints). */
  #finished(): boolean {
    return !this.#checkpoints.checkpointing || !idAfter(this.#last, this.#ackedThrough);
  }

  offset(checkpointId?: number): JsonValue {
    this.#checkpoints.taken(checkpointId, this.#last);
    return { last: this.#last };
  }

  seek(offset: JsonValue): void {
    const { last } = offset as { last: string };
    this.#last = last;
    this.#checkpoints.restored();
  }

  checkpointComplete(checkpointId: number): void {
    const through = this.#checkpoints.completed(checkpointId);
    if (through !== undefined && idAfter(through, this.#ackedThrough)) this.#ack(through);
  }

  close(): void {
    this.#closed = true;
    void this.#reads?.close(true);
    // Acknowledgements under way finish first.
    void this.#acking.finally(() => this.#acks?.close()).catch(() => {});
  }

  async #open(): Promise<void> {
    const lost = (error: Error) => this.#failed(error);
    try {
      this.#acks = await openRedis(this.#name, this.#s.url, lost, 'weir-redis-stream-source');
      this.#reads = await openRedis(this.#name, this.#s.url, lost, 'weir-redis-stream-source');
      await this.#acks.client.call('XGROUP', 'CREATE', this.#s.stream, this.#s.group, this.#s.startId, 'MKSTREAM').catch((cause: unknown) => {
        if (!String((cause as Error).message).startsWith('BUSYGROUP')) throw cause;
      });
    } catch (cause) {
      this.#failed(connectorError(this.#name, this.#s.url, 'opening the consumer group', cause));
      return;
    }
    // Pending entries at or before the restored offset were covered by a completed checkpoint
    // (restores come from completed ones) whose acknowledgement did not happen: acknowledge them.
    if (this.#last !== '0-0') this.#ack(this.#last);
    this.#pendingAfter = this.#last;
    this.#ready = true;
    this.#context.wakeUp();
  }

  /** Reads the next batch in the background, unless one is being read or the connection is not open yet. */
  #fetch(): void {
    if (this.#fetching || this.#closed || !this.#ready || this.#atEnd || this.#error) return;
    this.#fetching = true;
    const pending = this.#phase === 'pending';
    const block = pending || this.#s.stopAtEnd ? [] : ['BLOCK', this.#s.blockMs];
    const from = pending ? this.#pendingAfter : '>';
    this.#reads!.client
      .call('XREADGROUP', 'GROUP', this.#s.group, this.#consumer, 'COUNT', this.#s.batch, ...block, 'STREAMS', this.#s.stream, from)
      .then((reply) => {
        this.#fetching = false;
        const entries = ((reply as [string, Entries][] | null)?.[0]?.[1] ?? []) as Entries;
        if (pending) {
          if (entries.length === 0) this.#phase = 'new';
          else this.#pendingAfter = entries.at(-1)![0];
        } else if (entries.length === 0 && this.#s.stopAtEnd) this.#atEnd = true;
        for (const [id, fields] of entries) {
          if (fields === null) {
            // Deleted (XDEL, trimmed) after it was delivered and before it was read again.
            this.#context.deadLetter({ id }, `entry ${id} of stream ${this.#s.stream} was deleted before it was read`, id);
            continue;
          }
          const record: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
          this.#buffer.push({ id, fields: record });
        }
        this.#context.wakeUp();
      })
      .catch((cause: unknown) => {
        this.#fetching = false;
        if (!this.#closed) this.#failed(connectorError(this.#name, this.#s.url, 'reading entries', cause));
      });
  }

  /** Acknowledges this consumer's pending entries up to `through` (XPENDING pages, then XACK). */
  #ack(through: string): void {
    const acks = this.#acks;
    if (acks === undefined) return;
    this.#acking = this.#acking.then(async () => {
      try {
        for (;;) {
          const page = (await acks.client.call('XPENDING', this.#s.stream, this.#s.group, '-', through, ACK_PAGE, this.#consumer)) as [string, ...unknown[]][];
          if (page.length > 0) await acks.client.call('XACK', this.#s.stream, this.#s.group, ...page.map(([id]) => id));
          if (page.length < ACK_PAGE) break;
        }
        if (idAfter(through, this.#ackedThrough)) this.#ackedThrough = through;
        this.#context.wakeUp();
      } catch (cause) {
        if (!this.#closed) this.#failed(connectorError(this.#name, this.#s.url, 'acknowledging entries', cause));
      }
    });
  }

  #failed(error: Error): void {
    this.#error ??= error;
    this.#context.wakeUp();
  }

  /** The kept background error, thrown from `read` once the connections are closed. */
  #fail(): Error {
    this.close();
    return this.#error!;
  }
}
