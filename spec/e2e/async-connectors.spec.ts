/**
 * The contracts connectors are written against, end to end on worker threads: a source whose
 * records arrive asynchronously parks and is woken (`SourceContext.wakeUp`), sends what it cannot
 * read to the dead letters once each (`SourceContext.deadLetter`), and a two-phase sink
 * (`twoPhaseSink`) commits to a store outside the job once per checkpoint, asynchronously, exactly
 * once across a restart.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts } from 'weir';
import type { Params, Row, StoreFile } from '../fixtures/async-connectors.ts';
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

Async.run();
