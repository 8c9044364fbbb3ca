/**
 * Daemon ingress end to end: records the calling process writes with `handle.input(name)` reach the
 * job's sinks; with periodic checkpoints a failure replays what came after the last checkpoint from
 * the coordinator's log, so state and exactly-once output count every record once; a daemon writing
 * a million records into a job whose sink is slow is paced (its heap stays bounded) and loses none.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts, type JobHandle } from 'weir';
import type { Params, Pushed, Seen } from '../fixtures/ingress.ts';
import type { Big, Params as SlowParams } from '../fixtures/ingress-slow-sink.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, Runtime, thrownBy, watchdog } from '../helpers.ts';

const Ingress = suite('daemon ingress');
const runtime = new Runtime({ workers: 2 });
Ingress.after(() => runtime.close());

const KEYS = ['a', 'b', 'c', 'd', 'e'];
const pushed = (n: number): Pushed[] => Array.from({ length: n }, (_, idx) => ({ idx, key: KEYS[idx % KEYS.length]! }));
const params = (failAt: number, mode: Params['mode'] = 'throw', capacity?: number): Params => ({
  failAt,
  mode,
  marker: join(mkdtempSync(join(tmpdir(), 'weir-ingress-')), 'failed'),
  ...(capacity === undefined ? {} : { capacity }),
});

/** Writes every record, awaiting each write, then ends the input. */
async function feed(handle: JobHandle, records: readonly Pushed[]): Promise<void> {
  const input = handle.input<Pushed>('pushed');
  for (const record of records) await input.write(record);
  await input.end();
}

const expectedSeen = (records: readonly Pushed[]): Seen[] =>
  KEYS.map((key) => ({ key, indexes: records.filter((r) => r.key === key).map((r) => r.idx) }));

const bySeenKey = (a: Seen, b: Seen): number => a.key.localeCompare(b.key);

/** The records came as written: the same count, and the first difference named (a diff of 20,000 records would take minutes). */
function assertAsWritten(actual: readonly Pushed[], expected: readonly Pushed[], what: string): void {
  const at = expected.findIndex((r, i) => actual[i]?.idx !== r.idx);
  assert.ok(at === -1 && actual.length === expected.length, `${what}: expected ${expected.length} records in order, got ${actual.length}; first difference at ${at}: ${JSON.stringify(actual.slice(Math.max(0, at - 2), at + 3))}`);
}

Ingress('records written by the calling process reach the job, in order, and end() finishes it', async () => {
  const records = pushed(5000);
  const handle = await runtime.run(fixture('ingress'), { params: params(-1, 'throw', 64), parallelism: 2 });
  assert.equal(handle.inputNames, ['pushed']);
  const out = handle.collected<Pushed>('records');
  const seen = handle.collected<Seen>('seen');
  await watchdog(feed(handle, records), 'feeding the input');
  const result = await watchdog(handle.done, 'ingress done');
  assert.is(result.status, 'finished');
  assertAsWritten(await out, records, 'one reader: the output is the input, in order');
  assert.equal((await seen).sort(bySeenKey), expectedSeen(records));
});

Ingress('a failure with checkpoints: the log replays what came after the checkpoint, and state and exactly-once output count every record once', async () => {
  const records = pushed(20_000);
  const handle = await runtime.run(fixture('ingress'), {
    params: params(12_000),
    parallelism: 2,
    checkpointIntervalMs: 5,
    restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
  });
  let restarted = 0;
  let fromCheckpoint: number | undefined;
  handle.on('restarting', (event) => {
    restarted++;
    fromCheckpoint = event.fromCheckpoint;
  });
  const out = handle.collected<Pushed>('records');
  const seen = handle.collected<Seen>('seen');
  await watchdog(feed(handle, records), 'feeding the input across a restart');
  await watchdog(handle.done, 'ingress done after a restart');
  assert.is(restarted, 1, 'the flaky map failed once');
  assert.ok(fromCheckpoint !== undefined, 'restored from a checkpoint, not from the start');
  assertAsWritten(await out, records, 'exactly-once output: every record once, in order');
  assert.equal((await seen).sort(bySeenKey), expectedSeen(records), 'keyed state saw every record once');
});

Ingress('a worker that dies under the input: its records come again from the log', async () => {
  const records = pushed(10_000);
  const handle = await runtime.run(fixture('ingress'), {
    params: params(7_000, 'exit'),
    parallelism: 2,
    checkpointIntervalMs: 5,
    restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
  });
  let restarted = 0;
  handle.on('restarting', () => void restarted++);
  const out = handle.collected<Pushed>('records');
  await watchdog(feed(handle, records), 'feeding the input across a dead worker');
  await watchdog(handle.done, 'ingress done after a dead worker');
  assert.is(restarted, 1);
  assertAsWritten(await out, records, 'exactly-once output after a dead worker');
});

Ingress('regions restart in place: the input\'s region replays from the log, and a failure elsewhere leaves the input reading', async () => {
  for (const failing of ['input', 'other'] as const) {
    const records = pushed(20_000);
    const p = params(failing === 'input' ? 12_000 : -1);
    const other = { count: 200_000, failAt: failing === 'other' ? 100_000 : -1, marker: `${p.marker}-other` };
    const handle = await runtime.run(fixture('ingress'), {
      params: { ...p, other },
      parallelism: 2,
      checkpointIntervalMs: 5,
      restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
    });
    const restarted: string[][] = [];
    handle.on('restarting', (event) => void restarted.push([...event.operators]));
    const out = handle.collected<Pushed>('records');
    const numbers = handle.collected<number>('other');
    await watchdog(feed(handle, records), `feeding the input, ${failing} failing`);
    await watchdog(handle.done, `ingress done, ${failing} failing`);
    assert.is(restarted.length, 1, `${failing}: one restart`);
    assert.ok(restarted[0]!.length > 0 && restarted[0]!.some((o) => o.includes(failing === 'input' ? 'flaky' : 'other flaky')), `${failing}: the failed region restarted (${restarted[0]!.join(', ')})`);
    assert.not.ok(restarted[0]!.some((o) => o.includes(failing === 'input' ? 'other flaky' : 'pushed')), `${failing}: and only it`);
    assertAsWritten(await out, records, `${failing} failing: exactly-once output of the input`);
    assert.is((await numbers).length, other.count, `${failing} failing: the other pipeline's output once`);
  }
});

Ingress('a job restored from a checkpoint numbers its input from the checkpoint: the daemon writes again from input.next, and state holds every record once', async () => {
  const records = pushed(6000);
  const first = await runtime.run(fixture('ingress'), { params: params(-1), parallelism: 2 });
  const input = first.input<Pushed>('pushed');
  for (const record of records.slice(0, 3000)) await input.write(record);
  const checkpoint = await watchdog(first.checkpoint(), 'a checkpoint of the first run');
  await first.cancel();
  const second = await runtime.run(fixture('ingress'), { params: params(-1), parallelism: 2, restoreFrom: checkpoint });
  const resumed = second.input<Pushed>('pushed');
  const from = resumed.next;
  assert.ok(from > 0 && from <= 3000, `the input resumes where the checkpoint's reader was, got ${from}`);
  const seen = second.collected<Seen>('seen');
  for (const record of records.slice(from)) await resumed.write(record);
  await resumed.end();
  await watchdog(second.done, 'the restored run');
  assert.equal((await seen).sort(bySeenKey), expectedSeen(records));
});

Ingress('misuse is refused clearly: an unknown input, a write after end(), a write to a failed job', async () => {
  const handle = await runtime.run(fixture('ingress'), { params: params(3), parallelism: 2 });
  const unknown = thrownBy(() => handle.input('orders'), 'input("orders")');
  assert.is(unknown.code, 'WEIR_E_UNKNOWN_INPUT');
  assert.match(unknown.message, /no input named "orders"; its inputs \(sources\.input\) are: pushed/);
  const input = handle.input<Pushed>('pushed');
  const failed = rejectionOf(handle.done, 'done of a job without restarts');
  for (const record of pushed(5)) await input.write(record);
  const error = await failed;
  assert.match(error.message, /flaky record 3/);
  const late = await rejectionOf(input.write({ idx: 9, key: 'a' }), 'a write to the failed job');
  assert.is(late, error, 'a write after the failure rejects with the job error');

  const other = await runtime.run(fixture('ingress'), { params: params(-1), parallelism: 2 });
  const open = other.input<Pushed>('pushed');
  await open.write({ idx: 0, key: 'a' });
  const ended = open.end();
  const after = await rejectionOf(open.write({ idx: 1, key: 'a' }), 'a write after end()');
  assert.is(after.code, 'WEIR_E_INPUT');
  assert.match(after.message, /input "pushed" was written after end\(\)/);
  await watchdog(ended, 'end()');
  await watchdog(other.done, 'the ended job');
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;
const MILLION = 1_000_000;

Ingress('a million records into a slow sink: the daemon is paced, its heap stays bounded, and no record is lost', async () => {
  const before = resourceCounts();
  const file = join(mkdtempSync(join(tmpdir(), 'weir-ingress-slow-')), 'received.json');
  const capacity = 1024;
  const p: SlowParams = { file, capacity };
  const handle = await runtime.run(fixture('ingress-slow-sink'), { params: p, parallelism: 1 });
  const input = handle.input<Big>('big');
  // Live memory, not garbage waiting for a collection: measured after a full GC each time.
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let paced = 0;
  let maxUnread = 0;
  let sum = 0;
  const started = Date.now();
  for (let i = 0; i < MILLION; i++) {
    // About 100 bytes a record, each its own string: a million unpaced ones would be 100 MB here.
    const pending = input.write({ i, payload: `record ${i} of the million, padded to about a hundred bytes of text: ${'.'.repeat(i % 7)}` });
    sum += i;
    if (input.unread > maxUnread) maxUnread = input.unread;
    if (input.unread > capacity) paced++;
    await pending;
    if (i % 100_000 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  await input.end();
  const { metrics } = await watchdog(handle.done, 'the slow job');
  const workerPeak = Math.max(...metrics.workers.map((w) => w.peakHeapBytes));
  const seconds = (Date.now() - started) / 1000;
  const received = JSON.parse(readFileSync(file, 'utf8')) as { count: number; sum: number };
  console.log(`  ingress: ${MILLION} records into a slow writable in ${seconds.toFixed(1)} s, heap ${(base / MB).toFixed(1)} MB at the start, ${(peak / MB).toFixed(1)} MB at most (the worker's at most ${(workerPeak / MB).toFixed(1)} MB), ${paced} writes waited, unread at most ${maxUnread}`);
  assert.is(received.count, MILLION, 'every record reached the writable');
  assert.is(received.sum, sum, 'and each once');
  assert.ok(paced > 0, 'the daemon was paced: some writes waited for credit');
  assert.ok(maxUnread <= capacity + 1, `unread records stay within the capacity, got ${maxUnread}`);
  assert.ok(peak - base < 64 * MB, `heap growth stays under 64 MB, got ${((peak - base) / MB).toFixed(1)} MB`);
  assert.ok(workerPeak < 128 * MB, `the worker's heap stays under 128 MB, got ${(workerPeak / MB).toFixed(1)} MB`);
  assertNothingLeft(before, 'after the slow job');
});

Ingress.run();
