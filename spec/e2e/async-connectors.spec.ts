/**
 * The contracts connectors are written against, end to end on worker threads: a source whose
 * records arrive asynchronously parks and is woken (`SourceContext.wakeUp`), sends what it cannot
 * read to the dead letters once each (`SourceContext.deadLetter`), and a two-phase sink
 * (`twoPhaseSink`) commits to a store outside the job once per checkpoint, asynchronously, exactly
 * once across a restart.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts } from 'weir';
import type { Params, Row, StoreFile } from '../fixtures/async-connectors.ts';
import type { Params as EndedParams } from '../fixtures/ended-sink.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const Async = suite('async connectors');
const runtime = new Runtime({ workers: 2 });
Async.after(() => runtime.close());

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => (i % 17 === 5 ? `bad line ${i}` : `k${i % 7},${i}`));

const expected = (all: readonly string[]): Row[] =>
  all.flatMap((line) => {
    const [key, value] = line.split(',');
    return key && value !== undefined && /^\d+$/.test(value) ? [{ key, value: Number(value) * 10 }] : [];
  });

const stored = (dir: string): Row[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as StoreFile).rows);

const params = (n: number, failAt: number, parallelism: number): Params => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-async-'));
  return { lines: lines(n), dir, failAt, marker: join(dir, 'failed'), parallelism };
};

Async('a straight run: every good line in the store once, every bad one a dead letter with its reason', async () => {
  const p = params(400, -1, 2);
  const handle = await runtime.run(fixture('async-connectors'), { params: p, parallelism: 2 });
  const letters = handle.collectedDeadLetters();
  await watchdog(handle.done, 'async-connectors straight');
  assertSameMultiset(stored(p.dir), expected(p.lines), 'store');
  const dead = await letters;
  assert.is(dead.length, p.lines.filter((l) => l.startsWith('bad')).length);
  assert.ok(dead.every((d) => d.error.kind === 'malformed' && /expected key,number/.test(d.error.message) && String(d.record).startsWith('bad line')));
  assert.ok(dead.every((d) => d.error.operator.startsWith('arriving')), 'blamed on the source');
});

Async('a failure mid-run with checkpoints: the store holds every row exactly once, no dead letter twice', async () => {
  const p = params(3000, 1500, 2);
  const handle = await runtime.run(fixture('async-connectors'), {
    params: p,
    parallelism: 2,
    checkpointIntervalMs: 5,
    restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
  });
  let restarted = 0;
  handle.on('restarting', () => void restarted++);
  const letters = handle.collectedDeadLetters();
  await watchdog(handle.done, 'async-connectors with a failure');
  assert.is(restarted, 1);
  assertSameMultiset(stored(p.dir), expected(p.lines), 'store after a restart');
  const dead = await letters;
  assert.is(dead.length, p.lines.filter((l) => l.startsWith('bad')).length);
});

Async('a sink subtask that ended commits for good: a restart from a checkpoint before its end does not write its records again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-ended-'));
  const p: EndedParams = { dir, go: [join(dir, 'go0'), join(dir, 'go1')], pauseAt: 5, counts: [10, 30], failAt: 15, marker: join(dir, 'failed') };
  const handle = await runtime.run(fixture('ended-sink'), { params: p, parallelism: 2, restart: restarts.fixedDelay({ attempts: 2, delayMs: 0 }) });
  const restored: (number | undefined)[] = [];
  handle.on('restarting', (e) => void restored.push(e.fromCheckpoint));
  const before = await watchdog(handle.checkpoint(), 'the checkpoint while both subtasks wait');
  writeFileSync(p.go[0], '');
  // Subtask 0 reads to its end, and its sink subtask commits it: the store says so.
  await watchdog(untilStored(dir, 10), 'sink subtask 0 committed its end');
  writeFileSync(p.go[1], '');
  await watchdog(handle.done, 'ended-sink');
  assert.equal(restored, [before.id], 'restarted from the checkpoint taken before subtask 0 ended');
  const expectedRows = [...Array.from({ length: 10 }, (_, i) => ({ key: 's0', value: i })), ...Array.from({ length: 30 }, (_, i) => ({ key: 's1', value: i }))];
  assertSameMultiset(stored(dir), expectedRows, 'every record once');
});

/** Resolves once the store holds `rows` rows (turns of the event loop, a file system read each). */
async function untilStored(dir: string, rows: number): Promise<void> {
  while (stored(dir).length < rows) await new Promise((resolve) => setTimeout(resolve, 5));
}

Async.run();
