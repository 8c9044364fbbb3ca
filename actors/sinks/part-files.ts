import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../../lib/errors.ts';
import type { Operator, OperatorContext } from '../../lib/operator/operator.ts';
import type { Sink } from '../../lib/operator/sink.ts';
import { twoPhaseSink, type TwoPhaseWriter } from '../../lib/operator/two-phase-sink.ts';
import { BroadcastStateDescriptor } from '../../lib/state/broadcast-state-descriptor.ts';
import type { MapState } from '../../lib/state/state-handles.ts';
import type { JsonValue } from '../../lib/util/json.ts';

/** How a file sink cuts its output into part files. */
export interface PartFileOptions {
  /** A part is closed, and the next record starts a new one, once it holds this many bytes (default 128 MiB). */
  readonly rollBytes?: number;
  /** A part is closed once it is this old (processing time) when the next record comes (default: never). */
  readonly rollMs?: number;
  /** The start of every part file's name (default `part`). */
  readonly prefix?: string;
}

/** Turns records into the text of a part file; one per sink subtask, created in its worker. */
export interface PartEncoder<T> {
  /** The text of one record, its line end included. */
  encode(record: T): string;
  /** What every part starts with (a CSV header), asked when a part opens, after the part's first record was encoded. */
  header?(): string | undefined;
}

/** A file format of part files: what `partFileSink` needs besides the directory and the rolling. */
export interface PartFileFormat<T> {
  /** The connector's name in errors and the graph (`jsonLines`, `csv`). */
  readonly name: string;
  /** The committed files' extension, dot included. */
  readonly extension: string;
  /** The format's options as JSON (they enter the graph fingerprint). */
  readonly describe: JsonValue;
  createEncoder(): PartEncoder<T>;
}

/**
 * A transaction of a file sink: the in-progress part files it wrote, oldest first (names in the
 * sink's directory). Plain data: a checkpoint holds the prepared ones, and a restored one may be
 * committed by another subtask, so it names its own subtask and run.
 */
export interface PartTxn {
  /** The scope of the subtask that wrote it (`<jobId>/<operator>/<subtask>`). */
  readonly scope: string;
  readonly subtask: number;
  /** A short digest of the job run and operator, in every committed name: two runs, or two sinks, into one directory do not clash. */
  readonly run: string;
  readonly parts: string[];
}

const DEFAULT_ROLL_BYTES = 128 * 1024 * 1024;

/**
 * Per subtask, the last checkpoint whose barrier passed the sink. Kept as broadcast state because
 * its value is alike on every subtask and such state comes back to each subtask from its own copy
 * at the same parallelism (a restart): so a restarted subtask always knows the checkpoint it
 * resumes from, even when the dealt-out lists of prepared transactions gave it none of its own.
 */
const BARRIER = new BroadcastStateDescriptor<string, number>('weir.part-files.barrier');

const digest = (text: string, length: number): string => createHash('sha1').update(text).digest('hex').slice(0, length);

const isErrno = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | undefined)?.code === code;

/** The part being written: the open file of the open transaction. */
interface OpenPart {
  readonly txn: PartTxn;
  readonly fd: number;
  readonly path: string;
  readonly openedAt: number;
  bytes: number;
  records: number;
}

/**
 * One sink subtask's part files. In-progress files are hidden (`.<prefix>-<scope digest>-<b>-<n>.inprogress`)
 * and carry `b`, the last checkpoint whose barrier had passed when they were created: after a restore
 * from checkpoint `c`, a file of this scope with `b >= c` was begun after `c`'s barrier, so no
 * checkpoint the job resumes from names it: it is a leftover of the failed attempt (its records are
 * replayed) and is deleted. A file with `b < c` belongs to a transaction prepared for `c` or earlier:
 * the restored checkpoint holds it, and whichever subtask got it commits it.
 */
class PartFileWriter<T> implements TwoPhaseWriter<T, PartTxn> {
  readonly #connector: string;
  readonly #dir: string;
  readonly #prefix: string;
  readonly #extension: string;
  readonly #rollBytes: number;
  readonly #rollMs: number;
  readonly #encoder: PartEncoder<T>;
  readonly #context: OperatorContext;
  readonly #scope: string;
  readonly #scopeDigest: string;
  readonly #run: string;
  #open: OpenPart | undefined;
  /** The next in-progress file's number (unique within the scope). */
  #next = 0;
  /** The last checkpoint whose barrier passed (0: none yet, nor restored). */
  lastBarrier = 0;

  constructor(format: PartFileFormat<T>, dir: string, options: Required<PartFileOptions>, context: OperatorContext, scope: string) {
    this.#connector = `sinks.${format.name}("${dir}")`;
    this.#dir = dir;
    this.#prefix = options.prefix;
    this.#extension = format.extension;
    this.#rollBytes = options.rollBytes;
    this.#rollMs = options.rollMs;
    this.#encoder = format.createEncoder();
    this.#context = context;
    this.#scope = scope;
    this.#scopeDigest = digest(scope, 12);
    this.#run = digest(`${context.jobId}/${context.operator}`, 8);
  }

  open(): void {
    this.#fs('creating the directory', this.#dir, () => mkdirSync(this.#dir, { recursive: true }));
  }

  /** Restored at checkpoint `restoredFrom` (0: started afresh): deletes this scope's leftovers of a failed attempt. */
  settle(restoredFrom: number): void {
    this.lastBarrier = restoredFrom;
    const pattern = /^\.(.+)-([0-9a-f]{12})-(\d+)-(\d+)\.inprogress$/;
    for (const name of this.#fs('listing the directory', this.#dir, () => readdirSync(this.#dir))) {
      const match = pattern.exec(name);
      if (!match || match[1] !== this.#prefix || match[2] !== this.#scopeDigest) continue;
      if (Number(match[3]) >= restoredFrom) this.#fs('deleting a leftover part', join(this.#dir, name), () => rmSync(join(this.#dir, name), { force: true }));
      else this.#next = Math.max(this.#next, Number(match[4]) + 1);
    }
  }

  begin(): PartTxn {
    return { scope: this.#scope, subtask: this.#context.subtaskIndex, run: this.#run, parts: [] };
  }

  write(txn: PartTxn, records: readonly T[]): void {
    const now = this.#rollMs === Infinity ? 0 : this.#context.currentProcessingTime();
    let part = this.#open?.txn === txn ? this.#open : undefined;
    let chunk = '';
    for (const record of records) {
      const line = this.#encode(record);
      if (part !== undefined && part.records > 0 && (part.bytes >= this.#rollBytes || now - part.openedAt >= this.#rollMs)) {
        this.#append(part, chunk);
        chunk = '';
        this.#finishPart(part);
        part = undefined;
      }
      if (part === undefined) part = this.#startPart(txn, now);
      chunk += line;
      part.bytes += Buffer.byteLength(line);
      part.records++;
    }
    if (part !== undefined) this.#append(part, chunk);
  }

  /** Durable before the checkpoint holds it: the part still open is flushed to disk and closed. */
  prepare(txn: PartTxn): void {
    if (this.#open?.txn === txn) this.#finishPart(this.#open);
  }

  /** Renames the parts into place; a part already renamed (a second commit after a restore) is skipped. */
  commit(txn: PartTxn, checkpointId: number): void {
    const checkpoint = checkpointId === Infinity ? 'end' : String(checkpointId);
    // The subtask that wrote it committed its end already: everything it wrote is in place, and this
    // is a replay's copy (the job failed after the subtask ended, and restarted from before its end).
    const ended = join(this.#dir, `.${this.#prefix}-${txn.run}-${txn.subtask}.ended`);
    if (existsSync(ended)) {
      for (const part of txn.parts) rmSync(join(this.#dir, part), { force: true });
      return;
    }
    txn.parts.forEach((part, n) => {
      const from = join(this.#dir, part);
      const to = join(this.#dir, `${this.#prefix}-${txn.run}-${txn.subtask}-${checkpoint}-${n}${this.#extension}`);
      try {
        renameSync(from, to);
      } catch (error) {
        if (isErrno(error, 'ENOENT') && existsSync(to)) return;
        throw errors.connectorFailed(this.#connector, from, `renaming it to ${to} (the commit of checkpoint ${checkpoint})`, error, 'The in-progress file must stay in place until its checkpoint completes: is another job, or a cleanup, writing in this directory?');
      }
    });
    if (checkpointId === Infinity) writeFileSync(ended, '');
    if (txn.parts.length > 0 || checkpointId === Infinity) this.#syncDirectory();
  }

  abort(txn: PartTxn): void {
    if (this.#open?.txn === txn) this.#closePart(this.#open);
    for (const part of txn.parts) rmSync(join(this.#dir, part), { force: true });
  }

  /** Teardown: the open part's descriptor is released; its file is a leftover the next attempt deletes. */
  close(): void {
    if (this.#open !== undefined) this.#closePart(this.#open);
  }

  #encode(record: T): string {
    try {
      return this.#encoder.encode(record);
    } catch (cause) {
      throw errors.connectorFailed(this.#connector, this.#dir, 'encoding a record', cause, 'Send records the format can write (plain data).');
    }
  }

  #startPart(txn: PartTxn, now: number): OpenPart {
    const name = `.${this.#prefix}-${this.#scopeDigest}-${this.lastBarrier}-${this.#next++}.inprogress`;
    const path = join(this.#dir, name);
    const fd = this.#fs('creating a part file', path, () => openSync(path, 'wx'));
    txn.parts.push(name);
    const part: OpenPart = { txn, fd, path, openedAt: now, bytes: 0, records: 0 };
    this.#open = part;
    let header: string | undefined;
    try {
      header = this.#encoder.header?.();
    } catch (cause) {
      throw errors.connectorFailed(this.#connector, path, 'writing the header', cause, 'Check the sink\'s options.');
    }
    if (header) {
      this.#append(part, header);
      part.bytes += Buffer.byteLength(header);
    }
    return part;
  }

  #append(part: OpenPart, text: string): void {
    if (text.length > 0) this.#fs('writing', part.path, () => writeSync(part.fd, text));
  }

  #finishPart(part: OpenPart): void {
    this.#fs('flushing', part.path, () => fsyncSync(part.fd));
    this.#closePart(part);
  }

  #closePart(part: OpenPart): void {
    if (this.#open === part) this.#open = undefined;
    try {
      closeSync(part.fd);
    } catch {
      // Already closed: nothing is held.
    }
  }

  /** The renames survive a crash of the machine only once the directory itself is flushed. */
  #syncDirectory(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.#dir, 'r');
      fsyncSync(fd);
    } catch {
      // Some systems cannot flush a directory (Windows): the renames are still made, only their durability rests on the OS.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  #fs<R>(doing: string, target: string, step: () => R): R {
    try {
      return step();
    } catch (cause) {
      throw errors.connectorFailed(this.#connector, target, doing, cause, 'Check that the directory exists or can be created, is writable, and has space left.');
    }
  }
}

/** Checks and completes the options every file sink shares. */
export function partFileOptions(connector: string, options: PartFileOptions | undefined): Required<PartFileOptions> {
  const rollBytes = options?.rollBytes ?? DEFAULT_ROLL_BYTES;
  const rollMs = options?.rollMs ?? Infinity;
  const prefix = options?.prefix ?? 'part';
  if (typeof rollBytes !== 'number' || !(rollBytes > 0)) throw errors.invalidOption(`${connector} rollBytes`, rollBytes, 'a positive number of bytes');
  if (typeof rollMs !== 'number' || !(rollMs > 0)) throw errors.invalidOption(`${connector} rollMs`, rollMs, 'a positive number of milliseconds');
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(prefix)) {
    throw errors.invalidOption(`${connector} prefix`, prefix, 'letters, digits, _ . - (not starting with a dot)');
  }
  return { rollBytes, rollMs, prefix };
}

/**
 * An exactly-once sink of part files in `dir` (the shared part of `sinks.jsonLines` and
 * `sinks.csv`): each subtask writes its records, as they come, into hidden in-progress files,
 * starting a new part once one holds `rollBytes` or is `rollMs` old; when a checkpoint's barrier
 * passes they are flushed and closed (prepared), and when the checkpoint completes they are renamed
 * to `<prefix>-<run>-<subtask>-<checkpoint>-<n><ext>` (committed: `end` instead of a checkpoint for
 * what the end of a bounded job commits). The names are fixed by the transaction, so a commit done
 * again after a restore finds its files in place and skips them. Without checkpoints, every part
 * is committed at the job's successful end: rolling by time cuts files, it does not publish them.
 *
 * @example
 * ```ts
 * const lines = partFileSink<string>({ name: 'lines', extension: '.txt', describe: null, createEncoder: () => ({ encode: (s) => `${s}\n` }) }, 'out/', {});
 * ```
 */
export function partFileSink<T>(format: PartFileFormat<T>, dir: string, options: PartFileOptions | undefined): Sink<T> {
  const connector = `sinks.${format.name}("${String(dir)}")`;
  if (typeof dir !== 'string' || dir.length === 0) throw errors.invalidOption(`sinks.${format.name} dir`, dir, 'a non-empty directory path');
  const settled = partFileOptions(connector, options);
  const describe: JsonValue = {
    dir,
    prefix: settled.prefix,
    rollBytes: settled.rollBytes,
    rollMs: settled.rollMs === Infinity ? null : settled.rollMs,
    format: format.describe,
  };
  return {
    name: format.name,
    describe,
    delivery: 'exactly-once',
    createOperator: (): Operator<T, never> => {
      let writer: PartFileWriter<T> | undefined;
      const inner = twoPhaseSink<T, PartTxn>({
        name: format.name,
        describe,
        create: ({ context, scope }) => (writer = new PartFileWriter(format, dir, settled, context, scope)),
      }).createOperator();
      let barrier: MapState<string, number>;
      let settledOnce = false;
      // The restored state arrives after open: the first hook after it deletes the leftovers, before a new part is begun.
      const settle = (): PartFileWriter<T> => {
        if (!settledOnce) {
          settledOnce = true;
          writer!.settle(barrier.get('checkpoint') ?? 0);
        }
        return writer!;
      };
      return {
        open(context) {
          barrier = context.operatorState.broadcast(BARRIER);
          inner.open!(context);
        },
        process(record, out) {
          settle();
          inner.process(record, out);
        },
        snapshot(checkpointId) {
          const files = settle();
          inner.snapshot!(checkpointId);
          // After the inner snapshot: records it flushed into the transaction prepared now belong before this barrier.
          files.lastBarrier = checkpointId;
          barrier.put('checkpoint', checkpointId);
          return undefined;
        },
        onCheckpointComplete(checkpointId) {
          settle();
          inner.onCheckpointComplete!(checkpointId);
        },
        close(out) {
          settle();
          inner.close!(out);
        },
        dispose() {
          inner.dispose?.();
        },
      };
    },
  };
}
