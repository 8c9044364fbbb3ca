import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Source, SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { Collector } from '../../lib/operator/operator.ts';
import { errors } from '../../lib/errors.ts';

/** Where a `fromReadable` factory runs: the subtask it makes a stream for. */
export interface StreamSubtask {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

export interface FromReadableOptions {
  /**
   * `'objects'` (default): each chunk the stream emits is a record (an object-mode stream).
   * `'lines'`: the stream's bytes (or strings) are text, decoded as UTF-8; each line, without its
   * line break (`\n` or `\r\n`), is a record, and so is a last line without one.
   */
  format?: 'objects' | 'lines';
  /** Records read ahead of the job at most: past it the stream is paused until the job catches up. Default 1024. */
  buffer?: number;
  /**
   * What a restore (from a checkpoint, after a restart) does: `'skip'` (default) calls the factory
   * again and drops as many records as the checkpoint says were read, which is right for a stream
   * that yields the same records each time (a file); `'refuse'` fails the job instead, for a stream
   * that cannot be read again (a socket, stdin).
   */
  restore?: 'skip' | 'refuse';
}

/**
 * The records of a Node `Readable` made by `factory`, in the worker that reads it (its text enters
 * the job's fingerprint, as `generate`'s function does). Backpressure goes both ways: the stream is
 * paused while `buffer` records wait for the job (the job reads only when its outputs have credit),
 * and resumed once half of them are read. The source ends at the stream's `'end'`; an `'error'`
 * fails the subtask, naming the source.
 *
 * Each subtask calls `factory({ subtaskIndex, parallelism })` and reads the stream it returns: at
 * parallelism above 1, make a stream per subtask (a file each, a share of a file), or the records
 * are read once per subtask. The offset is the count of records read; see `restore` for what a
 * restore does with it.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * env.from(sources.fromReadable(() => createReadStream('trades.csv'), { format: 'lines' }))
 *   .map(parseTrade)
 *   .to(sinks.collect('trades'));
 * ```
 */
export function fromReadable<T = string>(factory: (subtask: StreamSubtask) => Readable, options: FromReadableOptions = {}): Source<T> {
  if (typeof factory !== 'function') throw errors.invalidOption('fromReadable factory', factory, 'a function returning a Readable, called in the worker');
  const format = options.format ?? 'objects';
  if (format !== 'objects' && format !== 'lines') throw errors.invalidOption('fromReadable format', format, "'objects' or 'lines'");
  const buffer = options.buffer ?? 1024;
  if (!Number.isSafeInteger(buffer) || buffer < 1) throw errors.invalidOption('fromReadable buffer', buffer, 'a whole number ≥ 1 (records)');
  const restore = options.restore ?? 'skip';
  if (restore !== 'skip' && restore !== 'refuse') throw errors.invalidOption('fromReadable restore', restore, "'skip' or 'refuse'");
  return {
    name: 'fromReadable',
    describe: { format, buffer, restore },
    functions: [factory],
    open: (context) => new ReadableReader<T>(factory, format === 'lines', buffer, restore, context),
  };
}

/** Reads one subtask's stream in flowing mode, pausing it while its buffer is full. */
class ReadableReader<T> implements SourceReader<T> {
  #stream: Readable | undefined;
  #records: unknown[] = [];
  #head = 0;
  /** Records emitted: the offset. */
  #read = 0;
  /** Records of a new stream still to drop after a restore. */
  #skip = 0;
  #ended = false;
  #error: Error | undefined;
  /** The text after the last line break, in lines format. */
  #partial = '';
  readonly #decoder = new StringDecoder('utf8');

  constructor(
    private readonly factory: (subtask: StreamSubtask) => Readable,
    private readonly lines: boolean,
    private readonly capacity: number,
    private readonly restore: 'skip' | 'refuse',
    private readonly context: SourceContext,
  ) {}

  read(max: number, out: Collector<T>): boolean {
    if (this.#error) throw this.#error;
    const stream = this.#stream ?? this.#open();
    const records = this.#records;
    let head = this.#head;
    const until = Math.min(records.length, head + max);
    while (head < until) out.collect(records[head++] as T);
    this.#read += head - this.#head;
    if (head === records.length) {
      this.#records = [];
      this.#head = 0;
    } else this.#head = head;
    const left = this.#records.length - this.#head;
    if (left === 0 && this.#ended) return false;
    if (stream.isPaused() && left <= this.capacity / 2) stream.resume();
    return true;
  }

  offset(): number {
    return this.#read;
  }

  seek(offset: unknown): void {
    const count = offset as number;
    if (count > 0 && this.restore === 'refuse') {
      throw new Error(`fromReadable cannot resume a stream at record ${count} (restore: 'refuse'): the stream cannot be read again; start the job afresh, or use restore: 'skip' for a stream that yields the same records each time`);
    }
    this.close();
    this.#stream = undefined;
    this.#records = [];
    this.#head = 0;
    this.#ended = false;
    this.#partial = '';
    this.#read = count;
    this.#skip = count;
  }

  close(): void {
    this.#stream?.destroy();
  }

  #open(): Readable {
    const { subtaskIndex, parallelism } = this.context;
    const stream = this.factory({ subtaskIndex, parallelism });
    if (!stream || typeof stream.on !== 'function' || typeof stream.pause !== 'function') {
      throw new Error(`the fromReadable factory returned ${stream === null ? 'null' : typeof stream}, not a Readable`);
    }
    this.#stream = stream;
    stream.on('data', (chunk: unknown) => {
      if (this.lines) this.#text(typeof chunk === 'string' ? chunk : this.#decoder.write(chunk as Buffer));
      else this.#push(chunk);
      if (this.#records.length - this.#head >= this.capacity) stream.pause();
      this.context.wakeUp();
    });
    stream.on('end', () => {
      if (this.lines) {
        this.#text(this.#decoder.end());
        if (this.#partial.length > 0) this.#push(this.#partial);
        this.#partial = '';
      }
      this.#ended = true;
      this.context.wakeUp();
    });
    stream.on('error', (error: Error) => {
      this.#error ??= error;
      this.context.wakeUp();
    });
    return stream;
  }

  #text(text: string): void {
    if (text.length === 0) return;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) this.#push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  #push(record: unknown): void {
    if (this.#skip > 0) this.#skip--;
    else this.#records.push(record);
  }
}
