/**
 * What the SQL sinks cost: generated rows keyed by id into SQLite and PostgreSQL, appended and
 * upserted (ids repeating over 10,000 keys), with a checkpoint every second (a transaction per
 * checkpoint and sink subtask), against the same job into `sinks.discard()`. Each case's table must
 * hold the expected rows at the end.
 *
 * `node --import tsx bench/sql-sinks.ts [--records 200000] [--parallelism 2] [--checkpoint-ms 1000 (0: none)]`
 * (PostgreSQL at WEIR_TEST_PG or postgres://postgres@127.0.0.1:5432/test; skipped when unreachable)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Runtime } from 'weir';
import { wholeArg } from './args.ts';
import type { SqlRowsParams } from './sql-rows.ts';

const { values } = parseArgs({ options: { records: { type: 'string' }, parallelism: { type: 'string' }, 'checkpoint-ms': { type: 'string' } } });
const records = wholeArg('sql-sinks', 'records', values.records, 200_000, 1);
const parallelism = wholeArg('sql-sinks', 'parallelism', values.parallelism, 2, 1);
/** 0: no checkpoints (everything commits at the end). */
const checkpointMs = wholeArg('sql-sinks', 'checkpoint-ms', values['checkpoint-ms'], 1000, 0);
const KEYS = 10_000;
const url = process.env.WEIR_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'weir-sql-bench-'));
const module = new URL('./sql-rows.ts', import.meta.url);

const admin = new pg.Pool({ connectionString: url, max: 1 });
const postgresUp = await admin.query('SELECT 1').then(
  () => true,
  (e: Error) => (console.log(`PostgreSQL at ${url} unreachable (${e.message}): its cases are skipped`), false),
);

/** The rows a case's table holds at the end. */
async function count(p: SqlRowsParams): Promise<number> {
  if (p.target === 'sqlite') {
    const db = new Database(p.sqlite!, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM "${p.table}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const n = Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${p.table}"`)).rows[0]!.n);
  await admin.query(`DROP TABLE "${p.table}"`);
  return n;
}

const runtime = new Runtime({ workers: parallelism });
try {
  console.log(`sql-sinks: ${records.toLocaleString('en')} rows, parallelism ${parallelism}, ${checkpointMs > 0 ? `a checkpoint every ${checkpointMs} ms` : 'no checkpoints'}`);
  // A first run on fresh threads also imports (and compiles) the job and the drivers: not measured.
  for (const target of ['discard', 'sqlite', ...(postgresUp ? ['postgres'] : [])] as const) {
    const warm = { count: 1000, upsert: false, keys: KEYS, target, sqlite: join(dir, 'warm-up.db'), url, table: `weir_bench_${process.pid}_warm` };
    await (await runtime.run(module, { parallelism, workers: parallelism, params: warm })).done;
    if (target === 'postgres') await admin.query(`DROP TABLE "${warm.table}"`);
  }
  const targets: SqlRowsParams['target'][] = ['discard', 'sqlite', ...(postgresUp ? (['postgres'] as const) : [])];
  for (const target of targets) {
    for (const upsert of target === 'discard' ? [false] : [false, true]) {
      const p: SqlRowsParams = { count: records, upsert, keys: KEYS, target, sqlite: join(dir, `${target}-${upsert}.db`), url, table: `weir_bench_${process.pid}_${upsert ? 'upsert' : 'append'}` };
      const t0 = performance.now();
      const handle = await runtime.run(module, { parallelism, workers: parallelism, ...(checkpointMs > 0 ? { checkpointIntervalMs: checkpointMs } : {}), params: p });
      let checkpoints = 0;
      let maxMs = 0;
      let maxBytes = 0;
      handle.on('checkpoint', (c) => {
        checkpoints++;
        maxMs = Math.max(maxMs, c.durationMs);
        maxBytes = Math.max(maxBytes, c.bytes);
      });
      await handle.done;
      const seconds = (performance.now() - t0) / 1000;
      const rows = target === 'discard' ? records : await count(p);
      const expected = upsert ? Math.min(KEYS, records) : records;
      if (rows !== expected) throw new Error(`${target} ${upsert ? 'upsert' : 'append'}: ${rows} rows in the table, expected ${expected}`);
      const what = target === 'discard' ? 'discard (baseline)' : `${target} ${upsert ? 'upsert' : 'append'}`;
      console.log(`  ${what.padEnd(20)} ${(records / seconds / 1000).toFixed(1).padStart(7)}k rows/s  ${seconds.toFixed(2)} s  ${checkpoints} checkpoints (longest ${maxMs.toFixed(0)} ms, largest ${(maxBytes / 1e6).toFixed(1)} MB)  ${rows} rows in the table`);
    }
  }
} finally {
  await runtime.close();
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
