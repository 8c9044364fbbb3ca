import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { errors } from '../errors.ts';
import type { CheckpointSummary, CompletedCheckpoint } from './checkpoint.ts';

/**
 * Savepoints: a completed checkpoint written to a directory, so that a job stopped in one process
 * (`handle.stop({ savepoint: dir })`, `weir run --savepoint-on-stop dir`) resumes in another
 * (`run(module, { restoreFrom: dir })`, `weir run --from dir`), at the same or another parallelism of
 * its keyed operators. A directory holds one savepoint, in two files (docs/savepoint-format.md):
 *
 * - `state.json`: `{ "operators": …, "splits": … }`, the checkpoint's state exactly as
 *   `CompletedCheckpoint` holds it (per operator key, per subtask; keyed state by key group);
 * - `_metadata.json`: `format: "weir-savepoint"`, `version: 1`, the job's name, the checkpoint's
 *   id, times and summary, `created` (ISO 8601, wall clock), `maxParallelism`, the operators
 *   (key, name, node, uid, parallelism), and `state: { file, bytes, sha256 }` of the state file.
 *
 * The directory appears whole or not at all: both files are written and synced in a sibling
 * `DIR.tmp-…` directory, which is then renamed to DIR (a crash leaves the temporary directory, never
 * a half-written DIR). Reading checks the byte count and the sha256 before parsing anything, so a
 * copy cut short or altered is refused with WEIR_E_SAVEPOINT instead of restoring wrong state.
 * State values must be JSON data (no Map, Set, Date, bigint, NaN or ±Infinity): weir's own
 * snapshots already are, and an operator whose state is not is named when the write is refused.
 *
 * @example
 * ```ts
 * const info = await writeSavepoint('savepoints/sp-1', checkpoint);
 * const again = await readSavepoint(info.path, checkpoint.job); // equal to `checkpoint`
 * ```
 */

export const SAVEPOINT_FORMAT = 'weir-savepoint';
export const SAVEPOINT_VERSION = 1;
const METADATA = '_metadata.json';
const STATE = 'state.json';

/** The contents of `_metadata.json`. */
export interface SavepointMetadata {
  readonly format: typeof SAVEPOINT_FORMAT;
  readonly version: typeof SAVEPOINT_VERSION;
  readonly job: string;
  readonly checkpointId: number;
  /** When the savepoint was written, ISO 8601 on the wall clock. */
  readonly created: string;
  /** The checkpoint's trigger and completion, on the job's clock. */
  readonly triggeredAt: number;
  readonly completedAt: number;
  readonly maxParallelism: number;
  readonly operators: readonly { readonly key: string; readonly name: string; readonly node: number; readonly uid?: string; readonly parallelism: number }[];
  readonly summary: CheckpointSummary;
  /** The state file, relative to the directory, with its size and sha256 (hex). */
  readonly state: { readonly file: string; readonly bytes: number; readonly sha256: string };
}

/** Where a savepoint went: the resolved directory, the checkpoint it holds, and its state's size. */
export interface SavepointInfo {
  readonly path: string;
  readonly job: string;
  readonly checkpointId: number;
  readonly bytes: number;
}

/**
 * Refuses a target that already holds something: a savepoint is never written over another one (or
 * over unrelated files). Checked before a job is stopped (`job`: its name) or started (the CLI), so
 * that a wrong path costs nothing; resolves with the absolute path.
 */
export async function checkSavepointTarget(job: string | undefined, dir: string): Promise<string> {
  const path = resolve(dir);
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return path;
    if (code === 'ENOTDIR') throw errors.savepointNotWritten(job, path, 'it is a file; give a directory that does not exist yet (or an empty one)');
    throw errors.savepointNotWritten(job, path, (error as Error).message);
  }
  if (entries.length > 0) {
    const what = entries.includes(METADATA) ? 'it already holds a savepoint' : `it is not empty (${entries.length} entries)`;
    throw errors.savepointNotWritten(job, path, `${what}; give a directory that does not exist yet (or an empty one), or delete this one`);
  }
  return path;
}

/** Each operator's state as JSON, refusing values JSON would change (the savepoint would restore something else). */
function stateJson(checkpoint: CompletedCheckpoint, path: string): string {
  const parts: string[] = [];
  for (const [key, op] of Object.entries(checkpoint.operators)) {
    const refuse = (what: string): never => {
      throw errors.savepointNotWritten(
        checkpoint.job,
        path,
        `operator "${op.name}" (${key}) holds ${what} in its state, which JSON cannot keep; keep plain data in state (objects, arrays, strings, finite numbers, booleans, null)`,
      );
    };
    const json = JSON.stringify(op, function (this: Record<string, unknown>, k, value: unknown) {
      const raw = this[k];
      if (raw instanceof Map || raw instanceof Set || raw instanceof Date) return refuse(`a ${raw.constructor.name}`);
      if (typeof value === 'bigint') return refuse('a bigint');
      if (typeof value === 'number' && !Number.isFinite(value)) return refuse(String(value));
      if (typeof value === 'function' || typeof value === 'symbol') return refuse(`a ${typeof value}`);
      return value;
    });
    parts.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{"operators":{${parts.join(',')}},"splits":${JSON.stringify(checkpoint.splits)}}\n`;
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Writes `checkpoint` as a savepoint in `dir` (which must not exist or be empty), atomically. */
export async function writeSavepoint(dir: string, checkpoint: CompletedCheckpoint, created: Date = new Date()): Promise<SavepointInfo> {
  const path = await checkSavepointTarget(checkpoint.job, dir);
  const state = Buffer.from(stateJson(checkpoint, path));
  const metadata: SavepointMetadata = {
    format: SAVEPOINT_FORMAT,
    version: SAVEPOINT_VERSION,
    job: checkpoint.job,
    checkpointId: checkpoint.id,
    created: created.toISOString(),
    triggeredAt: checkpoint.triggeredAt,
    completedAt: checkpoint.completedAt,
    maxParallelism: checkpoint.maxParallelism,
    operators: Object.entries(checkpoint.operators).map(([key, op]) => ({ key, name: op.name, node: op.node, ...(op.uid !== undefined ? { uid: op.uid } : {}), parallelism: op.parallelism })),
    summary: checkpoint.summary,
    state: { file: STATE, bytes: state.length, sha256: sha256(state) },
  };
  const temporary = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(temporary, { recursive: true });
    await writeSynced(join(temporary, STATE), state.toString());
    await writeSynced(join(temporary, METADATA), `${JSON.stringify(metadata, null, 2)}\n`);
    // Replaces an empty directory, fails on one that filled up meanwhile: nothing is ever overwritten.
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw errors.savepointNotWritten(checkpoint.job, path, 'the directory filled up while the savepoint was written; give another one');
    throw errors.savepointNotWritten(checkpoint.job, path, (error as Error).message);
  }
  // The rename is durable once the parent directory is synced.
  const parent = await open(dirname(path), 'r');
  await parent.sync().finally(() => parent.close());
  return { path, job: checkpoint.job, checkpointId: checkpoint.id, bytes: state.length };
}

/**
 * Reads the savepoint in `dir` back as a completed checkpoint; `job`, if given, is the job it must be
 * of. Throws WEIR_E_SAVEPOINT naming the path and what is wrong: no such directory or metadata, a
 * file cut short or not matching its checksum, another job, another format version.
 */
export async function readSavepoint(dir: string, job?: string): Promise<CompletedCheckpoint> {
  const path = resolve(dir);
  try {
    if (!(await stat(path)).isDirectory()) throw errors.savepointNotFound(path, 'it is a file; a savepoint is a directory');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw errors.savepointNotFound(path, 'the directory does not exist');
    throw error;
  }
  const metadata = parseMetadata(path, await readOrMissing(path, METADATA, () => errors.savepointNotFound(path, `the directory has no ${METADATA}`)));
  if (job !== undefined && metadata.job !== job) {
    throw errors.savepointIncompatible(path, `it is a savepoint of job "${metadata.job}", not of "${job}"`, `pass a savepoint of "${job}"`);
  }
  const { file, bytes, sha256: expected } = metadata.state;
  const state = await readOrMissing(path, file, () => errors.savepointDamaged(path, `its state file ${file} is missing`));
  if (state.length < bytes) throw errors.savepointDamaged(path, `${file} has ${state.length} of its ${bytes} bytes (cut short, as by a copy that did not finish)`);
  const actual = sha256(state);
  if (state.length !== bytes || actual !== expected) {
    throw errors.savepointDamaged(path, `${file} does not match its checksum (${state.length} bytes with sha256 ${actual}; ${METADATA} records ${bytes} bytes with sha256 ${expected})`);
  }
  let saved: Pick<CompletedCheckpoint, 'operators' | 'splits'>;
  try {
    saved = JSON.parse(state.toString()) as typeof saved;
  } catch (cause) {
    throw errors.savepointDamaged(path, `${file} matches its checksum but is not JSON (${(cause as Error).message}): it was written broken`);
  }
  return {
    format: 'weir-checkpoint',
    version: 1,
    job: metadata.job,
    id: metadata.checkpointId,
    triggeredAt: metadata.triggeredAt,
    completedAt: metadata.completedAt,
    maxParallelism: metadata.maxParallelism,
    operators: saved.operators,
    splits: saved.splits,
    summary: metadata.summary,
  };
}

async function readOrMissing(path: string, file: string, missing: () => Error): Promise<Buffer> {
  try {
    return await readFile(join(path, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw error;
  }
}

/** `_metadata.json` checked field by field: the version first, so that a newer format is named as such. */
function parseMetadata(path: string, text: Buffer): SavepointMetadata {
  let m: Partial<SavepointMetadata> & Record<string, unknown>;
  try {
    m = JSON.parse(text.toString()) as typeof m;
  } catch {
    throw errors.savepointDamaged(path, `${METADATA} is not complete JSON (cut short, or overwritten)`);
  }
  if (typeof m !== 'object' || m === null || m.format !== SAVEPOINT_FORMAT) {
    throw errors.savepointIncompatible(path, `its ${METADATA} is not a weir savepoint's (format ${JSON.stringify(m?.format)})`, 'pass a directory written by weir');
  }
  if (m.version !== SAVEPOINT_VERSION) {
    throw errors.savepointIncompatible(
      path,
      `it is in savepoint format version ${JSON.stringify(m.version)}, and this weir reads version ${SAVEPOINT_VERSION}`,
      'restore it with the weir that wrote it, or take a new savepoint',
    );
  }
  const state = m.state;
  const valid =
    typeof m.job === 'string' &&
    Number.isInteger(m.checkpointId) &&
    Number.isInteger(m.maxParallelism) &&
    typeof m.summary === 'object' &&
    typeof state === 'object' &&
    state !== null &&
    typeof state.file === 'string' &&
    basename(state.file) === state.file &&
    Number.isInteger(state.bytes) &&
    typeof state.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(state.sha256);
  if (!valid) throw errors.savepointDamaged(path, `${METADATA} lacks fields of format version ${SAVEPOINT_VERSION} (job, checkpointId, maxParallelism, summary, state)`);
  return m as SavepointMetadata;
}
