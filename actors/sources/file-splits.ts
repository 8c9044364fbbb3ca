import fs from 'node:fs';

const NEWLINE = 0x0a;

/** Bytes read from a file at a time; the buffer grows only for a line longer than this. */
export const READ_CHUNK = 1 << 16;

/** One split of a file source: bytes [start, end) of a file. A line belongs to the split in which it starts. */
export interface FileSplit {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The splits of a list of files: each file cut into ranges of `splitBytes`, numbered across the list
 * (file 0's splits first). The numbering depends only on the files, their sizes and `splitBytes`, so
 * split n is the same range in every subtask and after a restore at another parallelism.
 *
 * @example
 * ```ts
 * const plan = new SplitPlan([{ file: 'a.csv', size: 10 }, { file: 'b.csv', size: 3 }], 4);
 * plan.count;    // 4: a.csv [0,4) [4,8) [8,10), b.csv [0,3)
 * plan.split(3); // { file: 'b.csv', start: 0, end: 3 }
 * ```
 */
export class SplitPlan {
  /** The number of the first split of each file, and (last) the count of all. */
  readonly #firsts: number[] = [0];

  constructor(
    readonly files: readonly { readonly file: string; readonly size: number }[],
    readonly splitBytes: number,
  ) {
    for (const { size } of files) this.#firsts.push(this.#firsts.at(-1)! + Math.ceil(size / splitBytes));
  }

  get count(): number {
    return this.#firsts.at(-1)!;
  }

  /** Split `n`, or undefined past the last. */
  split(n: number): FileSplit | undefined {
    if (n < 0 || n >= this.count) return undefined;
    // Binary search for the last file whose first split is ≤ n (files without splits share their next's first).
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#firsts[mid]! <= n) lo = mid;
      else hi = mid - 1;
    }
    const { file, size } = this.files[lo]!;
    const start = (n - this.#firsts[lo]!) * this.splitBytes;
    return { file, start, end: Math.min(size, start + this.splitBytes) };
  }
}

/** Complete lines read from a file: their text, and the file position where each starts. */
export interface LineBlock {
  /** The lines as read, each ended by `\n` (the last may lack it at the end of a file). */
  readonly text: string;
  /** The lines, without their `\n` (a `\r` before it stays). */
  readonly lines: string[];
  /** File position of the first byte of each line. */
  readonly starts: number[];
  /** File position just past the block's last line (and its newline). */
  readonly end: number;
}

/**
 * Reads the lines that start in [from, until) of an open file, in blocks of about READ_CHUNK bytes,
 * with `fs.readSync` on a file descriptor: memory is one chunk (plus the longest line), whatever the
 * file's size. `from` must be the start of a line (see `lineStartAtOrAfter`). A line that starts
 * before `until` is read to its end, past `until` if need be. Without `partialLast`, the text after
 * the file's last newline waits for its newline (follow mode: a writer may be halfway through it).
 */
export class LineReader {
  #buffer: Buffer;
  /** File position of `#buffer[0]`. */
  #at: number;
  /** Bytes of `#buffer` that hold file content. */
  #length = 0;

  constructor(
    private readonly fd: number,
    from: number,
    private readonly until: number,
    private readonly partialLast: boolean,
    /** Bytes read at a time (smaller in specs, to cross chunk boundaries often). */
    private readonly chunk = READ_CHUNK,
  ) {
    this.#at = from;
    this.#buffer = Buffer.allocUnsafe(chunk);
  }

  /** The file position of the next line to read. */
  get position(): number {
    return this.#at;
  }

  /** The next block of lines, or undefined when no line starts before `until` (or, following, none is complete yet). */
  next(): LineBlock | undefined {
    if (this.#at >= this.until) return undefined;
    for (;;) {
      const read = this.#fill();
      const cut = this.#lastLineEnd(read === 0);
      if (cut > 0) return this.#take(cut);
      if (read === 0) return undefined; // end of file, and no complete line
      if (this.#length === this.#buffer.length) this.#grow();
    }
  }

  /** Reads what fits after the buffered bytes; returns the bytes read (0 at the end of the file). */
  #fill(): number {
    if (this.#length === this.#buffer.length) return -1;
    const read = fs.readSync(this.fd, this.#buffer, this.#length, this.#buffer.length - this.#length, this.#at + this.#length);
    this.#length += read;
    return read;
  }

  /** Bytes from the buffer's start to just past the last complete line that starts before `until`; 0 when none is complete. */
  #lastLineEnd(atEof: boolean): number {
    const limit = this.until - this.#at; // lines must start before this buffer index
    // (lastIndexOf from -1 would search from the buffer's end, among stale bytes)
    let end = this.#length === 0 ? 0 : this.#buffer.lastIndexOf(NEWLINE, this.#length - 1) + 1;
    if (atEof && this.partialLast && end < this.#length) end = this.#length;
    if (end <= limit) return end;
    // The buffer holds lines of the next split: stop after the line that spans `until`.
    const spanning = this.#buffer.indexOf(NEWLINE, limit - 1);
    if (spanning >= 0 && spanning < this.#length) return spanning + 1;
    return atEof && this.partialLast ? this.#length : 0;
  }

  #take(cut: number): LineBlock {
    const text = this.#buffer.toString('utf8', 0, cut);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const starts = new Array<number>(lines.length);
    for (let i = 0, p = 0; i < lines.length; i++) {
      starts[i] = this.#at + p;
      p = this.#buffer.indexOf(NEWLINE, p) + 1;
    }
    this.#buffer.copy(this.#buffer, 0, cut, this.#length);
    this.#length -= cut;
    this.#at += cut;
    // Back to a chunk after a long line, so one long line does not keep its buffer.
    if (this.#buffer.length > this.chunk && this.#length <= this.chunk) {
      const small = Buffer.allocUnsafe(this.chunk);
      this.#buffer.copy(small, 0, 0, this.#length);
      this.#buffer = small;
    }
    return { text, lines, starts, end: this.#at };
  }

  #grow(): void {
    const bigger = Buffer.allocUnsafe(this.#buffer.length * 2);
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}

/** The position of the first line that starts at or after `position` (a line starts at 0 or after a newline). */
export function lineStartAtOrAfter(fd: number, position: number): number {
  if (position <= 0) return 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (let at = position - 1; ; at += chunk.length) {
    const read = fs.readSync(fd, chunk, 0, chunk.length, at);
    if (read === 0) return at;
    const newline = chunk.subarray(0, read).indexOf(NEWLINE);
    if (newline >= 0) return at + newline + 1;
    if (read < chunk.length) return at + read; // the file's end: no line starts after `position`
  }
}

/**
 * Line numbers of positions in one file, counted only when asked (for a malformed line): a byte-range
 * split does not know how many lines came before it. Counting goes on from the last position asked
 * when it is further on, as a split's readers ask in file order, so a split pays for its prefix once.
 */
export class LineCounter {
  #position = 0;
  #line = 1;

  constructor(private readonly fd: number) {}

  /** The 1-based line number of the line starting at `position`. */
  lineAt(position: number): number {
    if (position < this.#position) {
      this.#position = 0;
      this.#line = 1;
    }
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    while (this.#position < position) {
      const read = fs.readSync(this.fd, chunk, 0, Math.min(chunk.length, position - this.#position), this.#position);
      if (read === 0) break;
      for (let i = chunk.indexOf(NEWLINE); i >= 0 && i < read; i = chunk.indexOf(NEWLINE, i + 1)) this.#line++;
      this.#position += read;
    }
    return this.#line;
  }
}
