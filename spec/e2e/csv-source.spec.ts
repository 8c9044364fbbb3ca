/**
 * The CSV source in real jobs on worker threads: a generated file of 13 MB (600k trades, 1 MiB splits) totalled per symbol
 * gives the same totals at source parallelism 1, 2 and 4; a job that fails mid-file and restarts
 * from its checkpoint, and one stopped with a savepoint mid-file and resumed at another parallelism,
 * give them too; malformed rows reach `handle.deadLetters()` with their line and reason, or fail
 * the job with `onMalformed: 'fail'`. A followed directory's new lines and files reach a running job's
 * output as its (manual) clock passes the poll interval.
 */
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, restarts, type JobHandle, type MalformedLine } from 'weir';
import type { Params, Total } from '../fixtures/csv-totals.ts';
import { advanceUntil, assertSameMultiset, fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';

const Csv = suite('csv source in jobs');
const runtime = new Runtime({ workers: 3 });
const dir = mkdtempSync(join(tmpdir(), 'weir-csv-e2e-'));
Csv.after(() => runtime.close());

const TRADES = 600_000;
const SYMBOLS = 61;
const symbolOf = (i: number) => `SYM${(Math.imul(i, 2654435761) >>> 0) % SYMBOLS}`;
const priceOf = (i: number) => ((i * 7919) % 100_000) / 100 + 1;

/** Writes the trades file and returns the totals a straight computation gives. */
async function writeTrades(path: string): Promise<Total[]> {
  const totals = new Map<string, Total>();
  const out = createWriteStream(path);
  out.write('seq,symbol,price,qty\n');
  let lines: string[] = [];
  for (let i = 0; i < TRADES; i++) {
    const symbol = symbolOf(i);
    const price = priceOf(i);
    const qty = 1 + (i % 50);
    lines.push(`${i},${symbol},${price.toFixed(2)},${qty}`);
    const t = totals.get(symbol) ?? { symbol, n: 0, qty: 0, cents: 0, seqs: 0 };
    totals.set(symbol, { symbol, n: t.n + 1, qty: t.qty + qty, cents: t.cents + Math.round(price * 100), seqs: t.seqs + i });
    if (lines.length === 10_000 || i === TRADES - 1) {
      if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
      lines = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return [...totals.values()];
}

const tradesFile = join(dir, 'trades.csv');
let expected: Total[];
Csv.before(async () => {
  expected = await writeTrades(tradesFile);
});

const params = (p: Partial<Params> & { sourceParallelism: number }): Params => ({ path: tradesFile, keyedParallelism: 2, splitBytes: 1 << 20, ...p });

for (const parallelism of [1, 2, 4]) {
  Csv(`a 13 MB file read at source parallelism ${parallelism}: the totals of a straight computation`, async () => {
    const handle = await runtime.run(fixture('csv-totals'), { params: params({ sourceParallelism: parallelism }), workers: 3 });
    const totals = await watchdog(handle.collected<Total>('totals'), `csv p${parallelism}`, 120_000);
    await handle.done;
    assertSameMultiset(totals, expected, `totals at p${parallelism}`);
  });
}

Csv('a job that fails mid-file restarts from its checkpoint, its sources from their offsets: the same totals', async () => {
  const marker = join(dir, 'failed-once');
  const handle = await runtime.run(fixture('csv-totals'), {
    params: params({ sourceParallelism: 2, failAt: TRADES / 2, marker }),
    workers: 3,
    checkpointIntervalMs: 20,
    restart: restarts.fixedDelay({ attempts: 2, delayMs: 0 }),
  });
  let restarted = 0;
  handle.on('restarting', () => void restarted++);
  const totals = await watchdog(handle.collected<Total>('totals'), 'csv with a failure', 120_000);
  await handle.done;
  assert.is(restarted, 1);
  assertSameMultiset(totals, expected, 'totals after a restart');
});

/** Stops a run reading at its ticks' pace once `at` ticks came, with a savepoint in `savepoint`. */
async function stopMidFile(handle: JobHandle, at: number, savepoint: string): Promise<void> {
  handle.collected('totals').catch(() => {});
  let read = 0;
  let stopping: ReturnType<JobHandle['stop']> | undefined;
  for await (const _ of handle.output<number>('ticks')) if (read++ === at) stopping = handle.stop({ savepoint });
  assert.is((await watchdog(stopping!, 'stop with a savepoint')).status, 'stopped');
  assert.ok(read < TRADES, `stopped mid-file, after ${read} trades`);
}

Csv('stopped with a savepoint mid-file at parallelism 2, resumed at 3: every trade counted once', async () => {
  const savepoint = join(dir, 'savepoint-2-3');
  const slow = { batchSize: 8, mailboxCapacity: 1, collectCapacity: 1, workers: 3 };
  await stopMidFile(await runtime.run(fixture('csv-totals'), { ...slow, params: params({ sourceParallelism: 2, ticks: true }) }), 20_000, savepoint);
  const resumed = await runtime.run(fixture('csv-totals'), { workers: 3, restoreFrom: savepoint, params: params({ sourceParallelism: 3, ticks: true }) });
  resumed.collected('ticks').catch(() => {});
  const totals = await watchdog(resumed.collected<Total>('totals'), 'the resumed run', 120_000);
  assertSameMultiset(totals, expected, 'totals of the resumed run');
});

const badFile = join(dir, 'bad.csv');
const BAD = ['seq,symbol,price,qty', '0,A,1.5,1', '1,A,x,2', '2,B,2.5', '3,B,2.5,3', '4,"C,1.0,1', '5,C,1.0,1.5', '6,C,1.0,6', ''];
writeFileSync(badFile, BAD.join('\n'));

Csv('malformed rows reach the dead letters once each, with file, line and reason; good rows are totalled; the source is blamed', async () => {
  const handle = await runtime.run(fixture('csv-totals'), { params: { path: badFile, sourceParallelism: 2, keyedParallelism: 1, splitBytes: 20 }, workers: 2 });
  const letters = handle.collectedDeadLetters<MalformedLine>();
  const totals = await watchdog(handle.collected<Total>('totals'), 'bad.csv');
  await handle.done;
  assertSameMultiset(totals.map((t) => `${t.symbol}:${t.n}`), ['A:1', 'B:1', 'C:1'], 'good rows');
  const dead = (await letters).map((d) => [d.record.line, d.error.kind, d.error.operator, d.error.message] as const);
  assert.equal(
    dead.map(([line, ...rest]) => [line, ...rest.slice(0, 2)]).sort(),
    [3, 4, 6, 7].map((line) => [line, 'malformed', 'trades']),
  );
  assert.match(dead.find(([line]) => line === 7)![3], /column "qty": "1.5" is not an integer/);
});

Csv("onMalformed: 'fail' fails the job, naming the file, the line and the reason", async () => {
  const handle = await runtime.run(fixture('csv-totals'), { params: { path: badFile, sourceParallelism: 1, keyedParallelism: 1, onMalformed: 'fail' }, workers: 2 });
  handle.collected('totals').catch(() => {});
  const error = await rejectionOf(handle.done, 'the malformed row');
  assert.match(error.message, /malformed line 3 of .*bad\.csv \(byte 31\): column "price": "x" is not a number/);
});

Csv.run();

const Follow = suite('file sources in follow mode');
const followRuntime = new Runtime({ workers: 2 });
Follow.after(() => followRuntime.close());

Follow('a followed directory: lines appended and new files reach the output as the job clock passes the poll interval', async () => {
  const followed = join(dir, 'followed');
  mkdirSync(followed);
  writeFileSync(join(followed, 'a.jsonl'), '{"n":1}\n');
  const clock = new ManualClock(0);
  const handle = await followRuntime.run(fixture('followed-lines'), { clock, workers: 2, params: { dir: followed, parallelism: 2 } });
  const seen: unknown[] = [];
  const reading = (async () => {
    for await (const value of handle.output('lines')) seen.push(value);
  })();
  await advanceUntil(clock, () => seen.length === 1, 'the first line');
  appendFileSync(join(followed, 'a.jsonl'), '{"n":2}\n{"n":3');
  writeFileSync(join(followed, 'b.jsonl'), '{"n":4}\n');
  await advanceUntil(clock, () => seen.length === 3, 'the appended line and the new file');
  appendFileSync(join(followed, 'a.jsonl'), '}\n');
  await advanceUntil(clock, () => seen.length === 4, 'the line completed by its newline');
  assertSameMultiset(seen, [1, 2, 3, 4].map((n) => ({ n })), 'every line once');
  await handle.cancel();
  await reading.catch(() => {});
});

Follow.run();
