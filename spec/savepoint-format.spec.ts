/**
 * The savepoint format on disk, without a job: a checkpoint written and read back is the same
 * checkpoint; any cut of either file and any changed byte of the state is refused; state JSON
 * cannot keep is refused at write, naming its operator, and leaves nothing behind.
 */
import fc from 'fast-check';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompletedCheckpoint, OperatorCheckpoint } from '../lib/checkpoint/checkpoint.ts';
import { readSavepoint, writeSavepoint, type SavepointMetadata } from '../lib/checkpoint/savepoint-format.ts';
import { rejectionOf } from './helpers.ts';

let scratch: string;
let n = 0;
/** A fresh path under the scratch directory (not created). */
const fresh = (): string => join(scratch, `sp-${n++}`);

const checkpointOf = (operators: Record<string, OperatorCheckpoint>, job = 'format-job'): CompletedCheckpoint => ({
  format: 'weir-checkpoint',
  version: 1,
  job,
  id: 7,
  triggeredAt: 1000,
  completedAt: 1012,
  maxParallelism: 128,
  operators,
  splits: { 'uid:src': { returned: [3, 1], next: 9 } },
  summary: { id: 7, durationMs: 12, bytes: 345, alignmentMs: { 'sum (1/2)': 0 } },
});

/** One keyed operator at `parallelism` whose subtasks hold `values` in one value state, by key group. */
const keyedOperator = (name: string, values: unknown[], parallelism = 2): OperatorCheckpoint => ({
  name,
  node: 3,
  uid: name,
  parallelism,
  subtasks: Array.from({ length: parallelism }, (_, s) => ({
    kind: 'stage' as const,
    stage: { keyed: { [`${name}/total`]: { kind: 'value' as const, groups: { [s]: values.map((v, i) => [`k${i}`, v] as [string, unknown]) } } }, watermark: s === 0 ? '-Infinity' : 41 },
  })),
});

const checkpointArb = fc
  .dictionary(fc.stringMatching(/^uid:[a-z]{1,6}$/), fc.tuple(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }), fc.integer({ min: 1, max: 3 })), { maxKeys: 4 })
  .map((ops) => checkpointOf(Object.fromEntries(Object.entries(ops).map(([key, [values, p]]) => [key, keyedOperator(key.slice(4), values, p)]))));

const Format = suite('savepoint format');

Format.before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'weir-savepoint-format-'));
});

Format('a checkpoint written and read back is the same checkpoint; the metadata says what it holds', async () => {
  await fc.assert(
    fc.asyncProperty(checkpointArb, async (checkpoint) => {
      const dir = fresh();
      const info = await writeSavepoint(dir, checkpoint, new Date(Date.UTC(2026, 0, 2)));
      assert.equal(info, { path: dir, job: 'format-job', checkpointId: 7, bytes: (await readFile(join(dir, 'state.json'))).length });
      assert.equal(JSON.parse(JSON.stringify(await readSavepoint(dir, 'format-job'))), JSON.parse(JSON.stringify(checkpoint)));
      const m = JSON.parse(await readFile(join(dir, '_metadata.json'), 'utf8')) as SavepointMetadata;
      assert.equal([m.format, m.version, m.job, m.checkpointId, m.created, m.maxParallelism], ['weir-savepoint', 1, 'format-job', 7, '2026-01-02T00:00:00.000Z', 128]);
      assert.equal(m.operators.map((o) => o.key), Object.keys(checkpoint.operators));
      assert.match(m.state.sha256, /^[0-9a-f]{64}$/);
      assert.equal((await readdir(scratch)).filter((f) => f.includes('.tmp-')), [], 'no temporary directory left');
    }),
    { numRuns: 25 },
  );
});

Format('a state file cut at any length, or with any byte changed, is refused as damaged', async () => {
  const dir = fresh();
  await writeSavepoint(dir, checkpointOf({ 'uid:sum': keyedOperator('sum', [1, 'two', { three: [3] }, null]) }));
  const state = await readFile(join(dir, 'state.json'));
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: state.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, xor, cut) => {
      const changed = cut ? state.subarray(0, at) : Buffer.from(state.map((b, i) => (i === at ? b ^ xor : b)));
      await writeFile(join(dir, 'state.json'), changed);
      const error = await rejectionOf(readSavepoint(dir), 'a damaged state file');
      assert.is((error as { code?: string }).code, 'WEIR_E_SAVEPOINT');
      assert.match(error.message, cut ? `state.json has ${at} of its ${state.length} bytes (cut short` : 'state.json does not match its checksum');
    }),
    { numRuns: 40 },
  );
  await writeFile(join(dir, 'state.json'), Buffer.concat([state, Buffer.from(' ')]));
  assert.match((await rejectionOf(readSavepoint(dir), 'a longer state file')).message, 'does not match its checksum');
});

Format('metadata cut at any length is refused as damaged; one of another format or version is named as such', async () => {
  const dir = fresh();
  await writeSavepoint(dir, checkpointOf({}));
  const metadata = await readFile(join(dir, '_metadata.json'), 'utf8');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: metadata.trimEnd().length - 1 }), async (at) => {
      await writeFile(join(dir, '_metadata.json'), metadata);
      await truncate(join(dir, '_metadata.json'), at);
      const error = await rejectionOf(readSavepoint(dir), 'cut metadata');
      assert.match(error.message, '_metadata.json is not complete JSON (cut short, or overwritten)');
    }),
    { numRuns: 30 },
  );
  const edited = async (edit: (m: Record<string, unknown>) => void): Promise<string> => {
    const m = JSON.parse(metadata) as Record<string, unknown>;
    edit(m);
    await writeFile(join(dir, '_metadata.json'), JSON.stringify(m));
    return (await rejectionOf(readSavepoint(dir, 'format-job'), 'edited metadata')).message;
  };
  assert.match(await edited((m) => (m['format'] = 'flink-savepoint')), `is not a weir savepoint's (format "flink-savepoint"); pass a directory written by weir`);
  assert.match(await edited((m) => (m['version'] = 2)), 'it is in savepoint format version 2, and this weir reads version 1');
  assert.match(await edited((m) => (m['job'] = 'other')), 'it is a savepoint of job "other", not of "format-job"');
  assert.match(await edited((m) => (m['state'] = { file: '../elsewhere.json', bytes: 1, sha256: 'x' })), '_metadata.json lacks fields of format version 1');
});

Format('state JSON cannot keep is refused at write, naming the operator, and leaves nothing behind', async () => {
  for (const [value, what] of [
    [new Map([[1, 2]]), 'a Map'],
    [new Set([1]), 'a Set'],
    [new Date(0), 'a Date'],
    [10n, 'a bigint'],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
  ] as const) {
    const dir = fresh();
    const checkpoint = checkpointOf({ 'uid:fine': keyedOperator('fine', [1]), 'uid:odd': keyedOperator('odd', [{ nested: [value] }]) });
    const error = await rejectionOf(writeSavepoint(dir, checkpoint), `state holding ${what}`);
    assert.is((error as { code?: string }).code, 'WEIR_E_SAVEPOINT');
    assert.match(error.message, `Job "format-job": no savepoint was written to ${dir}: operator "odd" (uid:odd) holds ${what} in its state, which JSON cannot keep`);
    const name = dir.slice(scratch.length + 1);
    assert.equal((await readdir(scratch)).filter((f) => f === name || f.startsWith(`${name}.tmp-`)), [], 'neither the directory nor a temporary one');
  }
});

Format('a savepoint goes into a new or empty directory, never over files', async () => {
  const empty = fresh();
  await mkdir(empty);
  await writeSavepoint(empty, checkpointOf({}));
  assert.equal((await readdir(empty)).sort(), ['_metadata.json', 'state.json']);
  const again = await rejectionOf(writeSavepoint(empty, checkpointOf({})), 'a second savepoint into the same directory');
  assert.match(again.message, 'it already holds a savepoint; give a directory that does not exist yet (or an empty one), or delete this one');
  const nested = join(fresh(), 'deeper', 'sp');
  await writeSavepoint(nested, checkpointOf({}));
  assert.is((await readSavepoint(nested)).id, 7, 'missing parents are made');
});

Format('a directory that is not a savepoint is named as such', async () => {
  const missing = fresh();
  assert.match((await rejectionOf(readSavepoint(missing), 'a missing directory')).message, `No savepoint at ${missing}: the directory does not exist.`);
  const file = fresh();
  await writeFile(file, 'x');
  assert.match((await rejectionOf(readSavepoint(file), 'a file')).message, 'it is a file; a savepoint is a directory');
  const bare = fresh();
  await mkdir(bare);
  assert.match((await rejectionOf(readSavepoint(bare), 'an empty directory')).message, 'the directory has no _metadata.json');
  await writeSavepoint(join(bare, 'sp'), checkpointOf({}));
  await rm(join(bare, 'sp', 'state.json'));
  assert.match((await rejectionOf(readSavepoint(join(bare, 'sp')), 'no state file')).message, 'is damaged: its state file state.json is missing');
});

Format.after(() => rm(scratch, { recursive: true, force: true }));
Format.run();
