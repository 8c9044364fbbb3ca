/**
 * Stop with a savepoint, and resume from it: a job stopped once its sources have read part of their
 * input writes its final checkpoint to a directory, with its event-time windows still open; a job
 * restored from that directory at another parallelism ends with what a straight run gives, the two
 * runs' exactly-once outputs together. Then every way a savepoint directory can be wrong is refused
 * before anything runs, naming the path.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, type JobHandle, type JobMetrics } from 'weir';

import { SOURCES, type Params, type Rec } from '../fixtures/savepointed.ts';
import type { Params as SplitParams, Sum as SplitSum } from '../fixtures/split-sums.ts';
import { advanceUntil, assertSameMultiset, fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';

type WindowResult = { key: string; start: number; n: number; sum: number };
interface Outputs {
  sums: Rec[];
  windows: WindowResult[];
}

const COUNT = 120;
const runtime = new Runtime({ workers: 3 });
let scratch: string;

const options = (clock: ManualClock, keyedParallelism: number) => ({ parallelism: keyedParallelism, workers: 3, clock, batchSize: 4, watermarkIntervalMs: 50 });

/** Steps the clock until the job finished; resolves with both outputs. */
async function runToEnd(h: JobHandle, clock: ManualClock): Promise<Outputs> {
  const sums = h.collected<Rec>('sums');
  const windows = h.collected<WindowResult>('windows');
  let finished = false;
  h.done.then(() => (finished = true), () => (finished = true));
  await advanceUntil(clock, () => finished, 'the job finished');
  return { sums: await sums, windows: await windows };
}

const sourceRecords = (m: JobMetrics): number => m.operators.reduce((n, op) => (op.source ? n + op.recordsIn : n), 0);

/** Waits (without moving the job's clock) until the sources have emitted `n` records. */
async function untilRead(h: JobHandle, n: number): Promise<void> {
  await watchdog(
    (async () => {
      while (sourceRecords(await h.metrics()) < n) await new Promise((resolve) => setImmediate(resolve));
    })(),
    `${n} records read`,
  );
}

/** A straight run of the whole input at keyed parallelism `p`. */
async function straight(p: number): Promise<Outputs> {
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, p), params: { count: COUNT, keyedParallelism: p } satisfies Params });
  return runToEnd(h, clock);
}

/** Runs at keyed parallelism `p` until the sources paused at `pauseAt` records each, then stops it with a savepoint in `dir`. */
async function stopped(p: number, pauseAt: number, dir: string): Promise<{ outputs: Outputs; checkpointId: number }> {
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, p), params: { count: COUNT, pauseAt, keyedParallelism: p } satisfies Params });
  const sums = h.collected<Rec>('sums');
  const windows = h.collected<WindowResult>('windows');
  await untilRead(h, pauseAt * SOURCES);
  const result = await watchdog(h.stop({ savepoint: dir }), 'stop with a savepoint');
  assert.is(result.status, 'stopped');
  assert.is(h.status, 'stopped');
  assert.is(result.savepoint?.path, dir);
  assert.is(result.savepoint?.checkpointId, result.checkpoint.id);
  assert.equal((await readdir(dir)).sort(), ['_metadata.json', 'state.json']);
  return { outputs: { sums: await sums, windows: await windows }, checkpointId: result.checkpoint.id };
}

const Savepoints = suite('stop with a savepoint, resume from it');

Savepoints.before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'weir-savepoints-'));
});

for (const [before, after] of [
  [2, 3],
  [3, 1],
] as const) {
  Savepoints(`a job stopped at keyed parallelism ${before} with windows open resumes at ${after} and ends with the outputs of a straight run`, async () => {
    const want = await straight(before);
    assert.is(want.sums.length, COUNT, 'a rolling sum per record');
    const dir = join(scratch, `sp-${before}-${after}`);
    const first = await stopped(before, 20, dir);
    // No watermark moved (the clock stood still, and the end of input was never signalled): every window is in the savepoint.
    assert.equal(first.outputs.windows, [], 'no window fired before the stop');
    assert.is(first.outputs.sums.length, 20 * SOURCES, 'the rolling sums of every record read before the stop, delivered by the final checkpoint');
    const metadata = JSON.parse(await readFile(join(dir, '_metadata.json'), 'utf8')) as { operators: { key: string; parallelism: number }[] };
    assert.ok(metadata.operators.some((o) => o.key === 'uid:windows' && o.parallelism === before), 'the open windows are in the savepoint');

    const clock = new ManualClock(0);
    const second = await runtime.run(fixture('savepointed'), { ...options(clock, after), restoreFrom: dir, params: { count: COUNT, keyedParallelism: after } satisfies Params });
    const rest = await runToEnd(second, clock);
    assertSameMultiset([...first.outputs.sums, ...rest.sums], want.sums, 'rolling sums of both runs');
    assertSameMultiset([...first.outputs.windows, ...rest.windows], want.windows, 'windows of both runs');
  });
}

Savepoints('sources read nothing after the final checkpoint\'s barrier: the records they emitted are the ones its offsets cover', async () => {
  // A source far from its end, stopped while it reads flat out.
  const h = await runtime.run(fixture('savepointed'), { parallelism: 2, workers: 3, params: { count: 1e9, keyedParallelism: 2 } satisfies Params });
  const sums = h.collected<Rec>('sums');
  h.collected('windows').catch(() => {});
  await untilRead(h, 5000);
  const result = await watchdog(h.stop(), 'stop');
  const offsets = result.checkpoint.operators['uid:records']!.subtasks.map((s) => (s.kind === 'source' ? (s.offset as { emitted: number }).emitted : NaN));
  const covered = offsets.reduce((a, b) => a + b, 0);
  assert.ok(covered >= 5000, `the offsets cover what was read before the stop: ${offsets}`);
  assert.is(sourceRecords(result.metrics), covered, 'records the sources emitted, in all');
  assert.is((await sums).length, covered, 'a rolling sum per record, each delivered once');
});

const SPLITS = { count: 3000, keys: 7, keyedParallelism: 2 };
const splitOptions = { batchSize: 8, mailboxCapacity: 1, collectCapacity: 1, workers: 3 };

/**
 * Runs split-sums at source parallelism `p` (from `from`, if given), reading its ticks at the test's
 * pace, and stops it with a savepoint in `dir` once `at` ticks were read: its sources are in the
 * middle of their splits then.
 */
async function stopSplits(count: number, p: number, at: number, dir: string, from?: string): Promise<void> {
  const h = await runtime.run(fixture('split-sums'), { ...splitOptions, ...(from ? { restoreFrom: from } : {}), params: { ...SPLITS, count, sourceParallelism: p } satisfies SplitParams });
  const sums = h.collected<SplitSum>('sums');
  let stopping: ReturnType<JobHandle['stop']> | undefined;
  let read = 0;
  for await (const _ of h.output<number>('ticks')) if (read++ === at) stopping = h.stop({ savepoint: dir });
  const result = await watchdog(stopping!, 'stop with a savepoint');
  assert.is(result.status, 'stopped');
  assert.ok(read < count, `stopped before the end: ${read} ticks`);
  assert.equal(await sums, [], 'sums come at the end only');
}

for (const [before, after, then] of [
  [2, 3, undefined],
  [3, 1, undefined],
  [2, 1, 3],
] as const) {
  Savepoints(`a source that claims splits on demand, stopped at parallelism ${before} while it reads, resumes at ${after}${then ? `, stopped again at once and resumes at ${then}` : ''}: every record counted once`, async () => {
    // Splits of 1563 records in the chained case: far more than a subtask reads before credit runs out.
    const count = then === undefined ? SPLITS.count : 100_000;
    const dir = join(scratch, `splits-${before}-${after}`);
    await stopSplits(count, before, 500, dir);
    let last = dir;
    if (then !== undefined) {
      // One subtask took both earlier readers' unfinished splits; stopped at once, it is still in the
      // first: the second waits in its snapshot, to be dealt out again.
      last = join(scratch, `splits-${before}-${after}-${then}`);
      await stopSplits(count, after, 0, last, dir);
      const state = JSON.parse(await readFile(join(last, 'state.json'), 'utf8')) as { operators: Record<string, { subtasks: { pending?: unknown[] }[] }> };
      assert.is(state.operators['uid:records']!.subtasks[0]!.pending?.length, 1, 'one unfinished split pending');
    }
    const second = await runtime.run(fixture('split-sums'), { ...splitOptions, restoreFrom: last, params: { ...SPLITS, count, sourceParallelism: then ?? after } satisfies SplitParams });
    second.collected<number>('ticks').catch(() => {});
    const sums = await watchdog(second.collected<SplitSum>('sums'), 'the resumed run');
    const want = new Map<string, SplitSum>();
    for (let i = 0; i < count; i++) {
      const key = `k${i % SPLITS.keys}`;
      const s = want.get(key) ?? { key, n: 0, sum: 0 };
      want.set(key, { key, n: s.n + 1, sum: s.sum + i });
    }
    assertSameMultiset(sums, [...want.values()], 'every record counted once');
  });
}

Savepoints('a stop whose final checkpoint is abandoned leaves the job running: its sources read on', async () => {
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, 2), checkpointTimeoutMs: 100, params: { count: 1e9, keyedParallelism: 2 } satisfies Params });
  h.collected('sums').catch(() => {});
  h.collected('windows').catch(() => {});
  await untilRead(h, 1000);
  // The timeout runs on the job's clock: moved past it at once, the final checkpoint is abandoned before it can complete.
  const stopping = h.stop();
  clock.advance(150);
  const error = await rejectionOf(stopping, 'the stop');
  assert.is(error.code, 'WEIR_E_CHECKPOINT');
  assert.match(error.message, /checkpoint 1 was abandoned: not complete within checkpointTimeoutMs/);
  assert.is(h.status, 'running');
  await untilRead(h, sourceRecords(await h.metrics()) + 1000);
  const result = await watchdog(h.stop(), 'the second stop');
  assert.is(result.status, 'stopped');
  assert.is(result.checkpoint.id, 2);
});

Savepoints('stop() without a savepoint is a graceful stop whose final checkpoint resumes the job', async () => {
  const want = await straight(2);
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, 2), params: { count: COUNT, pauseAt: 7, keyedParallelism: 2 } satisfies Params });
  const sums = h.collected<Rec>('sums');
  const windows = h.collected<WindowResult>('windows');
  const stoppedEvent = new Promise((resolve) => h.once('stopped', resolve));
  await untilRead(h, 7 * SOURCES);
  const result = await watchdog(h.stop(), 'stop');
  assert.is(result.status, 'stopped');
  assert.is(result.savepoint, undefined);
  assert.equal(await h.done, { job: 'savepointed', status: 'stopped', metrics: result.metrics });
  await watchdog(stoppedEvent, 'the stopped event');
  const clock2 = new ManualClock(0);
  const second = await runtime.run(fixture('savepointed'), { ...options(clock2, 3), restoreFrom: result.checkpoint, params: { count: COUNT, keyedParallelism: 3 } satisfies Params });
  const rest = await runToEnd(second, clock2);
  assertSameMultiset([...(await sums), ...rest.sums], want.sums, 'rolling sums of both runs');
  assertSameMultiset([...(await windows), ...rest.windows], want.windows, 'windows of both runs');
});

Savepoints('a savepoint directory that is taken is refused before the job is touched: it runs on and can be stopped elsewhere', async () => {
  const taken = join(scratch, 'taken');
  await writeFile(join(scratch, 'a-file'), 'x');
  await rm(taken, { recursive: true, force: true });
  await mkdir(taken);
  await writeFile(join(taken, 'notes.txt'), 'mine');
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, 1), params: { count: COUNT, pauseAt: 3, keyedParallelism: 1 } satisfies Params });
  h.collected('sums').catch(() => {});
  h.collected('windows').catch(() => {});
  for (const [dir, message] of [
    [taken, /it is not empty \(1 entries\); give a directory that does not exist yet/],
    [join(scratch, 'a-file'), /it is a file/],
  ] as const) {
    const error = await rejectionOf(h.stop({ savepoint: dir }), `stop into ${dir}`);
    assert.is(error.code, 'WEIR_E_SAVEPOINT');
    assert.match(error.message, `no savepoint was written to ${dir}`);
    assert.match(error.message, message);
    assert.is(h.status, 'running');
  }
  const option = await rejectionOf(h.stop({ savepoint: '' }), 'stop into ""');
  assert.is(option.code, 'WEIR_E_OPTION');
  assert.equal(await readFile(join(taken, 'notes.txt'), 'utf8'), 'mine', 'nothing written over');
  const result = await watchdog(h.stop({ savepoint: join(scratch, 'elsewhere') }), 'stop elsewhere');
  assert.is(result.status, 'stopped');
  await rejectionOf(h.stop(), 'a second stop').then((e) => assert.match(e.message, /Job "savepointed" is stopped: it cannot be stopped/));
});

Savepoints('every damaged or foreign savepoint is refused before anything runs, naming the path and what is wrong', async () => {
  const good = join(scratch, 'good');
  await stopped(2, 5, good);
  const copy = async (name: string, change: (dir: string) => Promise<void>): Promise<string> => {
    const dir = join(scratch, name);
    await rm(dir, { recursive: true, force: true });
    await cp(good, dir, { recursive: true });
    await change(dir);
    return dir;
  };
  const metadata = async (dir: string, edit: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(await readFile(join(dir, '_metadata.json'), 'utf8')) as Record<string, unknown>;
    edit(m);
    await writeFile(join(dir, '_metadata.json'), JSON.stringify(m));
  };
  const stateBytes = (await readFile(join(good, 'state.json'))).length;
  const cases: [string, RegExp][] = [
    [join(scratch, 'never-written'), /^No savepoint at .*never-written: the directory does not exist\. Pass the directory that handle\.stop\(\{ savepoint \}\)/],
    [await copy('no-metadata', (d) => rm(join(d, '_metadata.json'))), /^No savepoint at .*no-metadata: the directory has no _metadata\.json/],
    [await copy('cut-state', (d) => truncate(join(d, 'state.json'), stateBytes - 9)), new RegExp(`^Savepoint .*cut-state is damaged: state\\.json has ${stateBytes - 9} of its ${stateBytes} bytes \\(cut short`)],
    [await copy('cut-metadata', async (d) => truncate(join(d, '_metadata.json'), 40)), /^Savepoint .*cut-metadata is damaged: _metadata\.json is not complete JSON/],
    [
      await copy('flipped', async (d) => {
        const bytes = await readFile(join(d, 'state.json'));
        bytes[Math.floor(bytes.length / 2)] ^= 1;
        await writeFile(join(d, 'state.json'), bytes);
      }),
      /^Savepoint .*flipped is damaged: state\.json does not match its checksum \(.* bytes with sha256 [0-9a-f]{64}; _metadata\.json records .* bytes with sha256 [0-9a-f]{64}\)\. Nothing was restored/,
    ],
    [await copy('other-job', (d) => metadata(d, (m) => (m['job'] = 'vwap'))), /^Savepoint .*other-job cannot be restored here: it is a savepoint of job "vwap", not of "savepointed"; pass a savepoint of "savepointed"\./],
    [await copy('version-2', (d) => metadata(d, (m) => (m['version'] = 2))), /^Savepoint .*version-2 cannot be restored here: it is in savepoint format version 2, and this weir reads version 1; restore it with the weir that wrote it/],
  ];
  for (const [dir, message] of cases) {
    const clock = new ManualClock(0);
    const error = await rejectionOf(runtime.run(fixture('savepointed'), { ...options(clock, 2), restoreFrom: dir, params: { count: COUNT, keyedParallelism: 2 } satisfies Params }), dir);
    assert.is(error.code, 'WEIR_E_SAVEPOINT', `${dir}: ${error.message}`);
    assert.match(error.message, message);
  }
  // The intact one still restores, and nothing of the refused runs holds a thread.
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, 2), restoreFrom: good, params: { count: COUNT, keyedParallelism: 2 } satisfies Params });
  await runToEnd(h, clock);
});

Savepoints('state of an operator the job no longer has is refused, or dropped with allowNonRestoredState', async () => {
  const dir = join(scratch, 'extra-operator');
  await stopped(1, 4, dir);
  // The savepoint of a job that had one more operator: its state is in state.json, under a uid this job lacks.
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { operators: Record<string, { name: string }> };
  state.operators['uid:gone'] = { ...state.operators['uid:sums']!, name: 'gone' };
  const text = `${JSON.stringify(state)}\n`;
  const m = JSON.parse(await readFile(join(dir, '_metadata.json'), 'utf8')) as { state: { bytes: number; sha256: string } };
  m.state = { ...m.state, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
  await writeFile(join(dir, 'state.json'), text);
  await writeFile(join(dir, '_metadata.json'), JSON.stringify(m));
  const params = { count: COUNT, keyedParallelism: 2 } satisfies Params;
  const error = await rejectionOf(runtime.run(fixture('savepointed'), { ...options(new ManualClock(0), 2), restoreFrom: dir, params }), 'restore with an extra operator');
  assert.is(error.code, 'WEIR_E_CHECKPOINT');
  assert.match(error.message, /operator "gone" \(uid:gone\) has state in the checkpoint, but this job has no such operator; .* or pass allowNonRestoredState: true/);
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('savepointed'), { ...options(clock, 2), restoreFrom: dir, allowNonRestoredState: true, params });
  const rest = await runToEnd(h, clock);
  assert.is(rest.sums.length, COUNT - 4 * SOURCES, 'the rest of the records');
});

Savepoints.after(async () => {
  await runtime.close();
  await rm(scratch, { recursive: true, force: true });
});
Savepoints.run();
