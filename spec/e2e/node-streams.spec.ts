/**
 * Node streams at both ends of a job: `sources.fromReadable` reads a Readable in the worker (objects,
 * or lines of text cut anywhere), pausing it while the job is behind; `sinks.toWritable` writes each
 * subtask's records, in order, into a Writable slower than the job; errors of either stream fail the
 * job naming the connector.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Params } from '../fixtures/node-streams.ts';
import { fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';

const Streams = suite('node streams');
const runtime = new Runtime({ workers: 2 });
Streams.after(() => runtime.close());

const numbers = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

Streams('fromReadable of an object stream: every object once, into a collect sink', async () => {
  const p: Params = { read: 'objects', count: 5000, parallelism: 2 };
  const handle = await runtime.run(fixture('node-streams'), { params: p, parallelism: 2 });
  const out = await watchdog(handle.collected<{ i: number }>('records'), 'objects');
  assert.equal(out.map((r) => r.i).sort((a, b) => a - b), numbers(p.count));
});

Streams('fromReadable of text in chunks that cut lines: every line once, \\r\\n and a last line without a break included', async () => {
  const p: Params = { read: 'lines', count: 3000, parallelism: 2 };
  const handle = await runtime.run(fixture('node-streams'), { params: p, parallelism: 2 });
  const out = await watchdog(handle.collected<{ i: number }>('records'), 'lines');
  assert.equal(out.map((r) => r.i).sort((a, b) => a - b), numbers(p.count));
});

Streams('toWritable into a slow writable: each subtask writes everything it received, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-writable-'));
  const p: Params = { read: 'objects', count: 4000, dir, parallelism: 2 };
  const handle = await runtime.run(fixture('node-streams'), { params: p, parallelism: 2 });
  const result = await watchdog(handle.done, 'slow writable');
  assert.is(result.status, 'finished');
  const files = readdirSync(dir).sort();
  assert.equal(files, ['out-0.txt', 'out-1.txt'], 'one stream per subtask');
  const all: number[] = [];
  for (const file of files) {
    const written = readFileSync(join(dir, file), 'utf8').trim().split('\n').map(Number);
    assert.ok(written.length > 0, `${file} has records`);
    assert.ok(written.every((n, k) => k === 0 || n > written[k - 1]!), `${file}: records in the order the subtask received them`);
    all.push(...written);
  }
  assert.equal(all.sort((a, b) => a - b), numbers(p.count), 'every record written once');
});

Streams('an error of the readable fails the job, naming the source', async () => {
  const p: Params = { read: 'failing', count: 2000, parallelism: 1 };
  const handle = await runtime.run(fixture('node-streams'), { params: p, parallelism: 1 });
  const error = await rejectionOf(handle.done, 'a failing readable');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.match(error.message, /numbers/);
  assert.match(error.message, /the disk went away at record 1000/);
});

Streams('an error of the writable fails the job, naming the sink', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-writable-'));
  const p: Params = { read: 'objects', count: 2000, dir, failOn: 1500, parallelism: 2 };
  const handle = await runtime.run(fixture('node-streams'), { params: p, parallelism: 2 });
  const error = await rejectionOf(handle.done, 'a failing writable');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.match(error.message, /slow file/);
  assert.match(error.message, /no space left writing record 1500/);
});

Streams.run();
