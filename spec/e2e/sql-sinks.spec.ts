/**
 * The SQL sinks end to end, on worker threads, into a real SQLite file and the real PostgreSQL:
 * keyed running totals upserted by key and appended, with checkpoints every 5 ms and a worker
 * thread that exits mid-run (process.exit in a map). After the restart from the last checkpoint
 * the tables hold exactly the totals of a straight run: no row twice, none missing. And a server
 * that refuses fails the job with an error naming the sink and the address.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts, type RestartingEvent } from 'weir';
import { record, type Params, type Total } from '../fixtures/sql-sinks.ts';
import { reachable, SERVICES } from '../services.ts';
import { fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';

const COUNT = 6000;
const KEYS = 13;

const dir = mkdtempSync(join(tmpdir(), 'weir-sql-e2e-'));
let made = 0;
const tempPath = (what: string): string => join(dir, `${what}-${made++}`);
const tableName = (what: string): string => `weir_e2e_${what}_${process.pid}_${made++}`;

/** Totals of a straight run: per key, its sum and count, and the last record of it. */
function expectedTotals(): Map<string, Total> {
  const totals = new Map<string, Total>();
  for (let i = 0; i < COUNT; i++) {
    const r = record(i, KEYS);
    const t = totals.get(r.key) ?? { key: r.key, sum: 0, n: 0, idx: -1 };
    totals.set(r.key, { key: r.key, sum: t.sum + r.v, n: t.n + 1, idx: i });
  }
  return totals;
}

/** Every update row exactly once: for each record, the total it made. */
function checkTables(totals: Total[], updates: Total[], what: string): void {
  const expected = expectedTotals();
  assert.is(totals.length, expected.size, `${what}: one totals row per key`);
  for (const t of totals) assert.equal(t, expected.get(t.key), `${what}: the total of ${t.key}`);
  assert.is(updates.length, COUNT, `${what}: one update row per record (no duplicate, no gap): got ${updates.length} of ${COUNT}`);
  const seen = new Set(updates.map((u) => u.idx));
  assert.is(seen.size, COUNT, `${what}: every record's update once`);
  const sums = new Map<string, number>();
  for (const u of [...updates].sort((a, b) => a.idx - b.idx)) {
    const sum = (sums.get(u.key) ?? 0) + record(u.idx, KEYS).v;
    sums.set(u.key, sum);
    assert.is(u.sum, sum, `${what}: the update of record ${u.idx} holds the total up to it`);
  }
}

const runtime = new Runtime({ workers: 2 });
const postgresUp = await reachable('sql-sinks e2e (postgres)', 'postgres');

/** Runs the job with checkpoints every 5 ms, a checkpoint while the source waits halfway, then a worker exit after it. */
async function runWithExit(p: Params): Promise<RestartingEvent[]> {
  const h = await runtime.run(fixture('sql-sinks'), {
    parallelism: p.parallelism,
    workers: 2,
    checkpointIntervalMs: 5,
    restart: restarts.fixedDelay({ attempts: 2, delayMs: 0 }),
    params: p,
  });
  const restarting: RestartingEvent[] = [];
  h.on('restarting', (e) => void restarting.push(e));
  let checkpoints = 0;
  h.on('checkpoint', () => void checkpoints++);
  await watchdog(h.checkpoint(), 'a checkpoint while the source waits');
  writeFileSync(p.go!, '');
  const result = await watchdog(h.done, 'the job after the exit');
  console.log(`  (${p.target} p=${p.parallelism}: ${checkpoints} checkpoints, the restart from checkpoint ${restarting[0]?.fromCheckpoint})`);
  assert.is(result.status, 'finished');
  assert.is(restarting.length, 1, `one restart, not: ${restarting.map((e) => e.cause.message).join(' / ')}`);
  assert.is((restarting[0]!.cause as { code?: string }).code, 'WEIR_E_WORKER_DIED');
  assert.ok(restarting[0]!.fromCheckpoint !== undefined, 'restored from a checkpoint');
  return restarting;
}

const params = (target: Params['target'], parallelism: number, extra: Partial<Params> = {}): Params => ({
  count: COUNT,
  keys: KEYS,
  target,
  totals: tableName('totals'),
  updates: tableName('updates'),
  exitAt: 4000,
  marker: tempPath('marker'),
  pauseAt: 2000,
  go: tempPath('go'),
  parallelism,
  ...extra,
});

const Sqlite = suite('sqlite sink, end to end');
// The last suite closes the runtime.
if (!postgresUp) Sqlite.after(() => runtime.close());

for (const parallelism of [1, 2]) {
  Sqlite(`at parallelism ${parallelism}, a worker exit mid-run: the file's tables equal a straight run's`, async () => {
    const p = params('sqlite', parallelism, { sqlite: tempPath('out.db') });
    await runWithExit(p);
    const db = new Database(p.sqlite!, { readonly: true });
    try {
      checkTables(db.prepare(`SELECT * FROM "${p.totals}"`).all() as Total[], db.prepare(`SELECT * FROM "${p.updates}"`).all() as Total[], `sqlite p=${parallelism}`);
      const scopes = db.prepare('SELECT checkpoint FROM weir_commits').all() as { checkpoint: number }[];
      assert.is(scopes.length, 2 * parallelism, 'a scope per sink subtask');
      assert.ok(scopes.every((s) => s.checkpoint === Infinity), 'every scope committed to the end');
    } finally {
      db.close();
    }
  });
}

Sqlite('the word-count-sql example, without a server, writes its counts into an SQLite file', async () => {
  const file = tempPath('word-counts.db');
  const h = await runtime.run(new URL('../../examples/word-count-sql.ts', import.meta.url), { parallelism: 2, workers: 2, params: { lines: ['a b', 'b c', 'C c'], sqlite: file } });
  assert.is((await watchdog(h.done, 'word-count-sql')).status, 'finished');
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(db.prepare('SELECT word, count FROM word_counts ORDER BY word').all(), [{ word: 'a', count: 1 }, { word: 'b', count: 2 }, { word: 'c', count: 3 }]);
  } finally {
    db.close();
  }
});

Sqlite.run();

if (postgresUp) {
  const url = SERVICES.postgres.url;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const Postgres = suite('postgres sink, end to end');
  Postgres.after(async () => {
    await admin.end();
    await runtime.close();
  });

  for (const parallelism of [1, 2]) {
    Postgres(`at parallelism ${parallelism}, a worker exit mid-run: the server's tables equal a straight run's`, async () => {
      const p = params('postgres', parallelism, { url });
      try {
        await runWithExit(p);
        const totals = (await admin.query<Total>(`SELECT * FROM "${p.totals}"`)).rows;
        const updates = (await admin.query<Total>(`SELECT * FROM "${p.updates}"`)).rows;
        checkTables(totals, updates, `postgres p=${parallelism}`);
      } finally {
        await admin.query(`DROP TABLE IF EXISTS "${p.totals}", "${p.updates}"`);
      }
    });
  }

  Postgres("the server ends the sinks' sessions mid-run: commits fail or reconnect, a restart recommits, and the tables equal a straight run's", async () => {
    const p = params('postgres', 2, { url, exitAt: -1 });
    try {
      const h = await runtime.run(fixture('sql-sinks'), {
        parallelism: 2,
        workers: 2,
        checkpointIntervalMs: 5,
        restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
        params: p,
      });
      const restarting: RestartingEvent[] = [];
      h.on('restarting', (e) => void restarting.push(e));
      await watchdog(h.checkpoint(), 'a checkpoint while the source waits');
      // Its commits connected the sinks (and a second checkpoint leaves time to those still opening).
      await watchdog(h.checkpoint(), 'a second checkpoint while the source waits');
      const ended = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name IN ($1, $2)`, [
        `weir postgres sink "${p.totals}"`,
        `weir postgres sink "${p.updates}"`,
      ]);
      writeFileSync(p.go!, '');
      // A subtask may still be connecting as the first checkpoint completes: its session may not be there yet.
      assert.ok(ended.rowCount! >= 1 && ended.rowCount! <= 4, `a session per sink subtask at most: ended ${ended.rowCount}`);
      assert.is((await watchdog(h.done, 'the job after its sessions ended')).status, 'finished');
      assert.ok(restarting.every((e) => (e.cause as { code?: string }).code === 'WEIR_E_USER_FUNCTION' && /postgres sink "weir_e2e_\w+" at 127\.0\.0\.1:5432\/test: (committing checkpoint \d+|preparing table)/.test(e.cause.message)), restarting.map((e) => e.cause.message).join('\n'));
      console.log(`  (${restarting.length} restart(s) after the server ended ${ended.rowCount} sessions)`);
      checkTables((await admin.query<Total>(`SELECT * FROM "${p.totals}"`)).rows, (await admin.query<Total>(`SELECT * FROM "${p.updates}"`)).rows, 'postgres after ended sessions');
    } finally {
      await admin.query(`DROP TABLE IF EXISTS "${p.totals}", "${p.updates}"`);
    }
  });

  Postgres('a server that refuses: the restart strategy retries, then the job fails naming the sink, its address and the cause', async () => {
    const p = params('postgres', 1, { url: 'postgres://postgres:secret@127.0.0.1:1/test', exitAt: -1 });
    delete p.pauseAt;
    const h = await runtime.run(fixture('sql-sinks'), { parallelism: 1, workers: 1, restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }), params: p });
    const restarting: RestartingEvent[] = [];
    h.on('restarting', (e) => void restarting.push(e));
    const error = await rejectionOf(watchdog(h.done, 'the job against a refusing port'), 'done');
    assert.is(restarting.length, 1, 'the strategy restarted once');
    assert.is(error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
    assert.match(error.message, /postgres sink "weir_e2e_(totals|updates)_\d+_\d+" at 127\.0\.0\.1:1\/test: connecting failed: connect ECONNREFUSED/);
    assert.not.match(error.message, /secret/);
  });

  Postgres.run();
}
