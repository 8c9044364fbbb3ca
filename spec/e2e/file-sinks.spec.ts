/**
 * The file sinks end to end on worker threads: a job writing JSON Lines and CSV part files at
 * parallelism 2, straight and with checkpoints across a failure (a throw, a worker ended): reading
 * every committed part file gives every record exactly once, no in-progress file is left after the
 * job's successful end, and rolling by size makes several parts per subtask.
 */
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts } from 'weir';
import { expectedOut, type Out, type Params } from '../fixtures/file-sinks.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const Files = suite('file sinks');
const runtime = new Runtime({ workers: 2 });
Files.after(() => runtime.close());

const params = (n: number, failAt: number, mode: Params['mode'] = 'throw'): Params => {
  const root = mkdtempSync(join(tmpdir(), 'weir-file-sinks-'));
  return { n, parallelism: 2, jsonDir: join(root, 'json'), csvDir: join(root, 'csv'), rollBytes: 4096, failAt, mode, marker: join(root, 'failed') };
};

const expected = (n: number): Out[] => Array.from({ length: n }, (_, id) => expectedOut(id));

const committed = (dir: string, ext: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.') && f.endsWith(ext));

const jsonRecords = (dir: string): Out[] =>
  committed(dir, '.jsonl').flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Out),
  );

const csvRecords = (dir: string): Out[] =>
  committed(dir, '.csv').flatMap((f) =>
    (parse(readFileSync(join(dir, f), 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => ({ id: Number(r.id), key: r.key!, text: r.text! })),
  );

/** Every committed record once, nothing in progress, several parts per subtask. */
function assertOutput(p: Params, what: string): void {
  assertSameMultiset(jsonRecords(p.jsonDir), expected(p.n), `${what}: JSON Lines`);
  assertSameMultiset(csvRecords(p.csvDir), expected(p.n), `${what}: CSV`);
  for (const dir of [p.jsonDir, p.csvDir]) {
    assert.equal(
      readdirSync(dir).filter((f) => f.endsWith('.inprogress')),
      [],
      `${what}: nothing in progress after the end`,
    );
  }
  const parts = committed(p.jsonDir, '.jsonl');
  for (const subtask of [0, 1]) {
    const own = parts.filter((f) => new RegExp(`^part-[0-9a-f]{8}-${subtask}-`).test(f));
    assert.ok(own.length > 2, `${what}: subtask ${subtask} rolled its parts by size (${own.length})`);
  }
}

Files('a straight run without checkpoints: every record committed at the end, in parts rolled by size', async () => {
  const p = params(5000, -1);
  const handle = await runtime.run(fixture('file-sinks'), { params: p, parallelism: 2 });
  await watchdog(handle.done, 'file-sinks straight');
  assertOutput(p, 'straight');
  assert.ok(committed(p.jsonDir, '.jsonl').every((f) => /-end-\d+\.jsonl$/.test(f)), 'without checkpoints, everything is committed at the end');
});

for (const mode of ['throw', 'exit'] as const) {
  Files(`checkpoints every 5 ms and a failure mid-run (${mode}): every record exactly once in each format`, async () => {
    // The sources wait at record 6000 until three checkpoints completed: the failure, at 9000, comes after committed parts.
    const p = { ...params(20000, 9000, mode), pauseAt: 6000 };
    p.go = join(p.marker, '..', 'go');
    const handle = await runtime.run(fixture('file-sinks'), {
      params: p,
      parallelism: 2,
      checkpointIntervalMs: 5,
      restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
    });
    let restarted = 0;
    let checkpoints = 0;
    handle.on('restarting', () => void restarted++);
    handle.on('checkpoint', () => {
      if (++checkpoints === 3) writeFileSync(p.go!, '');
    });
    await watchdog(handle.done, `file-sinks with a failure (${mode})`);
    assert.is(restarted, 1, 'one restart');
    assert.ok(checkpoints >= 3, 'checkpoints completed');
    assertOutput(p, `failure (${mode})`);
    assert.ok(committed(p.jsonDir, '.jsonl').some((f) => /-\d+-\d+-\d+\.jsonl$/.test(f) && !/-end-/.test(f)), 'some parts committed by checkpoints');
  });
}

Files('stopped with a savepoint at parallelism 2, resumed at 1 into the same directories: every record exactly once', async () => {
  const p = { ...params(12000, -1), pauseAt: 6000 };
  p.go = join(p.marker, '..', 'go');
  const savepoint = join(p.marker, '..', 'savepoint');
  const first = await runtime.run(fixture('file-sinks'), { params: p, parallelism: 2 });
  await watchdog(
    (async () => {
      const read = async () => (await first.metrics()).operators.reduce((n, op) => (op.source ? n + op.recordsIn : n), 0);
      while ((await read()) < 6000) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'the sources paused',
  );
  await watchdog(first.stop({ savepoint }), 'stop with a savepoint');
  writeFileSync(p.go, '');
  const second = await runtime.run(fixture('file-sinks'), { params: { ...p, parallelism: 1, sourceParallelism: 2 }, parallelism: 2, restoreFrom: savepoint });
  await watchdog(second.done, 'resumed at parallelism 1');
  assertSameMultiset(jsonRecords(p.jsonDir), expected(p.n), 'JSON Lines across the savepoint');
  assertSameMultiset(csvRecords(p.csvDir), expected(p.n), 'CSV across the savepoint');
  for (const dir of [p.jsonDir, p.csvDir]) assert.equal(readdirSync(dir).filter((f) => f.endsWith('.inprogress')), [], 'nothing in progress');
});

Files.run();
