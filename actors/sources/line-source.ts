import fs from 'node:fs';
import type { Collector } from '../../lib/operator/operator.ts';
import type { SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { specialize } from '../../lib/util/specialize.ts';
import { LineCounter, LineReader, lineStartAtOrAfter, SplitPlan, type LineBlock } from './file-splits.ts';
import { listFiles } from './file-list.ts';

/** A line that is no record: blank, left out without a dead letter. */
export const BLANK: unique symbol = Symbol('blank line');

/** A line a format could not read: it goes to the dead letters (or fails the job) with `reason`. */
export class Malformed {
  constructor(readonly reason: string) {}
}

/** What a format made of each line of a block: a record, `BLANK`, or `Malformed`. */
export type LineResult<T> = T | typeof BLANK | Malformed;

/** Reads the lines of one file; made once per file, from its header line when the format has one. */
export type BlockParser<T> = (block: LineBlock) => LineResult<T>[];

/** A line-based file format (CSV, JSON Lines): how a file's lines become records. */
export interface LineFormat<T> {
  /** Connector name in messages and dead letters, e.g. `csv`. */
  readonly name: string;
  /** Whether each file's first line is a header, not a record. */
  readonly header: boolean;
  /** The parser of one file, given its header line (undefined without). Throws for a header it cannot use. */
  forFile(file: string, header: string | undefined): BlockParser<T>;
}

/** What to do with a line that is no record: send it to the dead letters (default), or fail the job. */
export type MalformedPolicy = 'deadLetter' | 'fail';

/** The options every file source takes. */
export interface FileSourceOptions {
  /**
   * `deadLetter` (default): a malformed line goes to `handle.deadLetters()` as `{ file, line,
   * offset, text }` with the reason, and the job goes on; `fail`: the job fails, naming the file,
   * line and reason.
   */
  readonly onMalformed?: MalformedPolicy;
  /** Bytes per split: a file is read in ranges of this size, each claimed by one subtask. Default 4 MiB. */
  readonly splitBytes?: number;
  /**
   * Keep reading: lines appended to the files, and (for a directory or a glob) new files, checked
   * every `pollMs` of the job's clock (default 1000) while nothing is new. Each file is read by one
   * subtask (by a hash of its path); a job in follow mode restores at the same parallelism only.
   */
  readonly follow?: boolean | { readonly pollMs?: number };
}

export const DEFAULT_SPLIT_BYTES = 4 << 20;
/** Characters of a malformed line kept in its dead letter. */
const TEXT_KEPT = 1000;

/** The dead letter of a malformed line. */
export interface MalformedLine {
  readonly file: string;
  /** 1-based line number in the file. */
  readonly line: number;
  /** Byte offset of the line's start in the file. */
  readonly offset: number;
  /** The line (its first 1000 characters). */
  readonly text: string;
}

/** A file open for reading: its descriptor, parser and line counter. */
export interface OpenFile<T> {
  readonly file: string;
  readonly fd: number;
  readonly parse: BlockParser<T>;
  /** Where the file's records begin: after the header line, if any. */
  readonly dataStart: number;
  readonly counter: LineCounter;
}

/** Opens a file and reads its header; undefined while a followed file has no complete header line yet. */
export function openFile<T>(format: LineFormat<T>, file: string, following: boolean): OpenFile<T> | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (cause) {
    throw new Error(`${format.name} source: cannot open ${file}: ${(cause as Error).message}; check that it exists and is readable`, { cause });
  }
  let header: string | undefined;
  let dataStart = 0;
  if (format.header) {
    // Following, a header without its newline may still be being written.
    const block = new LineReader(fd, 0, 1, !following).next();
    if (block === undefined) {
      fs.closeSync(fd);
      return undefined;
    }
    header = stripBom(block.lines[0]!);
    dataStart = block.end;
  }
  return { file, fd, parse: format.forFile(file, header), dataStart, counter: new LineCounter(fd) };
}

export const stripBom = (line: string): string => (line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);

/** A block's lines parsed, emitted from `next` on. */
export class PendingBlock<T> {
  next = 0;
  constructor(
    readonly block: LineBlock,
    readonly results: LineResult<T>[],
  ) {}

  /** File position of the next line not yet emitted. */
  get position(): number {
    return this.next < this.results.length ? this.block.starts[this.next]! : this.block.end;
  }

  get done(): boolean {
    return this.next >= this.results.length;
  }
}

/** Handles a malformed line: a dead letter, or a throw. */
export type MalformedHandler = (reason: string, start: number, text: string) => void;
/** Emits up to `max` records of a block; returns how many. */
export type Emit<T> = (pending: PendingBlock<T>, max: number, out: Collector<T>) => number;

/** The emit loop, copied per reader (see specialize): its `out.collect` then calls one chain only. */
const emitLoop =
  (blank: symbol, malformedClass: typeof Malformed, malformed: MalformedHandler) =>
  (pending: PendingBlock<unknown>, max: number, out: Collector<unknown>): number => {
    const { results, block } = pending;
    let emitted = 0;
    while (emitted < max && pending.next < results.length) {
      const i = pending.next++;
      const result = results[i];
      if (result === blank) continue;
      if (result instanceof malformedClass) {
        malformed(result.reason, block.starts[i]!, block.lines[i]!);
        continue;
      }
      out.collect(result);
      emitted++;
    }
    return emitted;
  };

/** An emit loop of a reader's own, sending malformed lines to `malformed`. */
export const emitter = <T>(malformed: MalformedHandler): Emit<T> => specialize(emitLoop, BLANK, Malformed, malformed) as Emit<T>;

/** Handles a malformed line by the policy: a dead letter keyed by file and offset (replays send it once), or a failure. */
export function malformedHandler<T>(format: LineFormat<T>, policy: MalformedPolicy, context: SourceContext, open: () => OpenFile<T>): MalformedHandler {
  return (reason: string, offset: number, text: string): void => {
    const { file, counter } = open();
    const line = counter.lineAt(offset);
    if (policy === 'fail') {
      throw new Error(`${format.name} source: malformed line ${line} of ${file} (byte ${offset}): ${reason}; fix the line, or pass onMalformed: 'deadLetter' to send such lines to the dead letters`);
    }
    const letter: MalformedLine = { file, line, offset, text: text.length > TEXT_KEPT ? text.slice(0, TEXT_KEPT) : text };
    context.deadLetter(letter as unknown as JsonValue, reason, `${file}:${offset}`);
  };
}

/** Checks the options every file source takes; returns them with defaults. */
export function fileOptions(name: string, options: FileSourceOptions): { onMalformed: MalformedPolicy; splitBytes: number; pollMs: number | undefined } {
  const onMalformed = options.onMalformed ?? 'deadLetter';
  if (onMalformed !== 'deadLetter' && onMalformed !== 'fail') throw errors.invalidOption(`${name} onMalformed`, onMalformed, "'deadLetter' or 'fail'");
  const splitBytes = options.splitBytes ?? DEFAULT_SPLIT_BYTES;
  if (!Number.isSafeInteger(splitBytes) || splitBytes < 1) throw errors.invalidOption(`${name} splitBytes`, splitBytes, 'a whole number of bytes ≥ 1');
  const follow = options.follow ?? false;
  const pollMs = follow === false ? undefined : follow === true ? 1000 : (follow.pollMs ?? 1000);
  if (pollMs !== undefined && !(pollMs > 0)) throw errors.invalidOption(`${name} follow.pollMs`, pollMs, 'a number of milliseconds > 0');
  return { onMalformed, splitBytes, pollMs };
}

/** A reader's offset in a bounded file source: the split it reads and the position of its next line. */
interface SplitOffset {
  readonly split: number;
  readonly file?: string;
  readonly at?: number;
}

/**
 * Reads the splits a subtask claims (and unfinished ones handed back on a restore at another
 * parallelism), each from its first line start to the end of the line that spans its end. Its offset
 * names the split, its file and the position of the next line: a line start, so a restore seeks
 * there without looking for one.
 */
export function splitReader<T>(pattern: string, format: LineFormat<T>, policy: MalformedPolicy, splitBytes: number, context: SourceContext): SourceReader<T> {
  const files = listFiles(pattern);
  if (files.length === 0) throw new Error(`${format.name} source: no file matches ${pattern}; check the path, or use follow mode to wait for files`);
  const plan = new SplitPlan(
    files.map((file) => {
      try {
        return { file, size: fs.statSync(file).size };
      } catch (cause) {
        throw new Error(`${format.name} source: cannot read ${file}: ${(cause as Error).message}`, { cause });
      }
    }),
    splitBytes,
  );
  let split = -1;
  let file = '';
  let open: OpenFile<T> | undefined;
  let lines: LineReader | undefined;
  let pending: PendingBlock<T> | undefined;
  let exhausted = false;
  const emit = emitter<T>(malformedHandler(format, policy, context, () => open!));

  const openSplit = (n: number, at: number | undefined): void => {
    const range = plan.split(n);
    if (range === undefined) throw new Error(`${format.name} source: split ${n} is past the ${plan.count} splits of ${pattern}; restore into a job that reads the same files`);
    if (open?.file !== range.file) {
      closeFile();
      // A file emptied since the splits were planned has nothing left to read.
      open = openFile(format, range.file, false) ?? { file: range.file, fd: -1, parse: () => [], dataStart: 0, counter: new LineCounter(-1) };
    }
    const from = at ?? (open.fd < 0 ? 0 : Math.max(open.dataStart, lineStartAtOrAfter(open.fd, range.start)));
    split = n;
    file = range.file;
    lines = new LineReader(open.fd, from, range.end, true);
    pending = undefined;
  };
  const closeFile = (): void => {
    if (open !== undefined && open.fd >= 0) fs.closeSync(open.fd);
    open = undefined;
  };
  const claim = (): boolean => {
    const resumed = context.resumeSplit() as SplitOffset | undefined;
    if (resumed !== undefined) {
      seek(resumed);
      return true;
    }
    const n = context.nextSplit();
    if (n >= plan.count) return false;
    openSplit(n, undefined);
    return true;
  };
  const seek = (offset: SplitOffset): void => {
    exhausted = false;
    if (offset.split < 0) {
      split = -1;
      lines = undefined;
      pending = undefined;
      return;
    }
    const range = plan.split(offset.split);
    if (range !== undefined && offset.file !== undefined && range.file !== offset.file) {
      throw new Error(`${format.name} source: the checkpoint's split ${offset.split} is of ${offset.file}, here it is of ${range.file}: the files changed since the checkpoint`);
    }
    openSplit(offset.split, offset.at);
  };

  return {
    read(max, out) {
      if (exhausted) return false;
      let emitted = 0;
      while (emitted < max) {
        if (pending !== undefined && !pending.done) {
          emitted += emit(pending, max - emitted, out);
          continue;
        }
        const block = open !== undefined && open.fd >= 0 ? lines?.next() : undefined;
        if (block !== undefined) {
          pending = new PendingBlock(block, open!.parse(block));
          continue;
        }
        if (!claim()) {
          exhausted = true;
          closeFile();
          return false;
        }
      }
      return true;
    },
    offset: (): JsonValue => (split < 0 ? { split } : { split, file, at: pending?.position ?? lines!.position }),
    seek: (offset) => seek(offset as unknown as SplitOffset),
    close: closeFile,
  };
}

