/**
 * The SQL sinks' transactions against a real SQLite file and the real PostgreSQL server: upserts by
 * key and appends, one transaction per checkpoint, a commit repeated (after a restart) changing
 * nothing, and errors that name the sink, the address and the cause.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TransactionLog } from '../lib/operator/two-phase-commit.ts';
import type { TwoPhaseWriter as Writer } from '../lib/operator/two-phase-sink.ts';
import { sqlTable, type SqlTableOptions, type SqlTxn } from '../actors/sinks/sql-table.ts';
import { sqliteWriter } from '../actors/sinks/sqlite-sink.ts';
import { postgresWriter } from '../actors/sinks/postgres-sink.ts';
import { reachable, SERVICES } from './services.ts';
import { rejectionOf, thrownBy } from './helpers.ts';
import { sinks } from '../lib/api/connectors-catalog.ts';

interface Count {
  word: string;
  count: number;
}

/** A database the sink writes to, as a spec sees it. */
interface Target {
  readonly name: string;
  /** A writer for `table`, filed under `scope`. */
  writer<T extends object>(options: SqlTableOptions<T>, scope: string): Writer<T, SqlTxn<T>>;
  /** The table's rows, sorted by their JSON text. */
  rows(table: string): Promise<unknown[]>;
  /** The checkpoint stored for `scope` (undefined: none). */
  committed(scope: string): Promise<number | undefined>;
  drop(table: string): Promise<void>;
}

/** Scopes are unique to a run of a job (its id comes first): so are the spec's, since weir_commits outlives it on the server. */
const run = `${process.pid}-${Date.now().toString(36)}`;
const scope = (name: string): string => `${run}/${name}`;

const sorted = (rows: unknown[]): unknown[] => rows.map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r) as unknown);

let tables = 0;
const tableName = (): string => `weir_spec_${process.pid}_${Date.now().toString(36)}_${tables++}`;

/** Writes `batches` through a transaction log, one checkpoint each (ids 1, 2, …), and commits them all. */
async function commitBatches<T extends object>(writer: Writer<T, SqlTxn<T>>, batches: T[][]): Promise<TransactionLog<T, SqlTxn<T>>> {
  const log = new TransactionLog(writer);
  for (const [i, batch] of batches.entries()) {
    log.write(batch);
    await log.barrier(i + 1);
  }
  await log.committed(batches.length);
  return log;
}

function behaviour(target: Target): void {
  const Sql = suite(`${target.name} sink transactions`);

  Sql('with a key, a checkpoint upserts the last record of each key; the next replaces what it updates', async () => {
    const table = tableName();
    const writer = target.writer<Count>({ table, key: 'word', createTable: true }, scope('job/upsert/0'));
    await writer.open!();
    try {
      await commitBatches(writer, [
        [{ word: 'a', count: 1 }, { word: 'b', count: 1 }, { word: 'a', count: 2 }],
        [{ word: 'b', count: 2 }, { word: 'c', count: 1 }],
      ]);
      assert.equal(await target.rows(table), [{ word: 'a', count: 2 }, { word: 'b', count: 2 }, { word: 'c', count: 1 }]);
      assert.is(await target.committed(scope('job/upsert/0')), 2);
    } finally {
      await writer.close!();
      await target.drop(table);
    }
  });

  Sql('without a key, every record is a new row', async () => {
    const table = tableName();
    const writer = target.writer<Count>({ table, createTable: true }, scope('job/append/0'));
    await writer.open!();
    try {
      await commitBatches(writer, [[{ word: 'a', count: 1 }, { word: 'a', count: 1 }], [{ word: 'b', count: 3 }]]);
      assert.equal(await target.rows(table), [{ word: 'a', count: 1 }, { word: 'a', count: 1 }, { word: 'b', count: 3 }]);
    } finally {
      await writer.close!();
      await target.drop(table);
    }
  });

  Sql('a transaction committed again (the same scope and checkpoint, on another connection after a restart) adds no row', async () => {
    const table = tableName();
    const first = target.writer<Count>({ table, createTable: true }, scope('job/again/0'));
    await first.open!();
    const again = target.writer<Count>({ table, createTable: true }, scope('job/again/0'));
    await again.open!();
    try {
      const txn = first.begin();
      first.write(txn, [{ word: 'x', count: 1 }, { word: 'y', count: 2 }]);
      await first.commit(txn, 3);
      await first.commit(txn, 3);
      // A restored subtask recommits what its checkpoint held prepared: the transaction as a checkpoint kept it (plain data).
      const restored = structuredClone(txn);
      await again.commit(restored, 3);
      await again.commit(restored, 2);
      assert.equal(await target.rows(table), [{ word: 'x', count: 1 }, { word: 'y', count: 2 }]);
      // Another scope is another subtask: its checkpoint 3 is its own.
      await again.commit({ scope: scope('job/again/1'), rows: [{ word: 'z', count: 1 }] }, 3);
      assert.equal(await target.rows(table), [{ word: 'x', count: 1 }, { word: 'y', count: 2 }, { word: 'z', count: 1 }]);
    } finally {
      await first.close!();
      await again.close!();
      await target.drop(table);
    }
  });

  Sql("the end of a bounded job commits for Infinity; nothing is committed under the scope after it", async () => {
    const table = tableName();
    const writer = target.writer<Count>({ table, key: 'word', createTable: true }, scope('job/end/0'));
    await writer.open!();
    try {
      const log = await commitBatches(writer, [[{ word: 'a', count: 1 }]]);
      log.write([{ word: 'a', count: 5 }]);
      await log.finish();
      assert.is(await target.committed(scope('job/end/0')), Infinity);
      await writer.commit({ scope: scope('job/end/0'), rows: [{ word: 'a', count: 9 }] }, Infinity);
      assert.equal(await target.rows(table), [{ word: 'a', count: 5 }]);
    } finally {
      await writer.close!();
      await target.drop(table);
    }
  });

  Sql('a composite key, declared columns, and values of every column type', async () => {
    interface Reading {
      site: string;
      sensor: number;
      value: number;
      ok: boolean;
      tags: string[];
      at: Date;
      total: bigint;
    }
    const table = tableName();
    const writer = target.writer<Reading>(
      { table, key: ['site', 'sensor'], columns: { site: 'text', sensor: 'real', value: 'real', ok: 'boolean', tags: 'json', at: 'timestamp', total: 'integer' }, createTable: true },
      scope('job/types/0'),
    );
    await writer.open!();
    try {
      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
      await commitBatches(writer, [
        [
          { site: 's', sensor: 1, value: 0.5, ok: true, tags: ['a', 'b'], at, total: 2n ** 40n },
          { site: 's', sensor: 2, value: -1, ok: false, tags: [], at, total: 0n },
          { site: 's', sensor: 1, value: 1.5, ok: false, tags: ['c'], at, total: 1n },
        ],
      ]);
      const rows = (await target.rows(table)) as Record<string, unknown>[];
      assert.is(rows.length, 2);
      assert.equal([rows[0]!.sensor, rows[0]!.value, rows[1]!.sensor, rows[1]!.value], [1, 1.5, 2, -1]);
      assert.ok(rows[0]!.ok === false || rows[0]!.ok === 0, `a boolean column: got ${rows[0]!.ok}`);
      assert.equal(typeof rows[0]!.tags === 'string' ? JSON.parse(rows[0]!.tags) : rows[0]!.tags, ['c']);
      assert.is(new Date(rows[0]!.at as string).getTime(), at.getTime());
      assert.is(String(rows[1]!.total), '0');
    } finally {
      await writer.close!();
      await target.drop(table);
    }
  });

  Sql("records without the key's field: the commit fails naming the sink's key and the fields the records have", async () => {
    const table = tableName();
    const writer = target.writer<{ word: string; count?: number }>({ table, key: 'count', createTable: true }, scope('job/keyless/0'));
    await writer.open!();
    try {
      const error = await rejectionOf(Promise.resolve().then(() => writer.commit({ scope: scope('job/keyless/0'), rows: [{ word: 'a' }] }, 1)), 'commit without the key');
      assert.is(error.code, 'WEIR_E_OPTION');
      assert.match(error.message, `${target.name} sink "${table}" key": got "count"; allowed: fields the records have (word)`);
      assert.is(await target.committed(scope('job/keyless/0')), undefined, 'nothing committed, not even the scope');
    } finally {
      await writer.close!();
      await target.drop(table);
    }
  });

  Sql('a table that does not exist, without createTable: the error names the sink, the address and what to do', async () => {
    const table = tableName();
    const writer = target.writer<Count>({ table, createTable: false }, scope('job/missing/0'));
    const error = await rejectionOf(Promise.resolve().then(() => writer.open!()), 'open without the table');
    await writer.close!();
    assert.is(error.code, 'WEIR_E_CONNECTOR');
    assert.match(error.message, `${target.name} sink "${table}" at `);
    assert.match(error.message, /no such table|does not exist/);
  });

  Sql.run();
}

const Options = suite('SQL sink options');
Options('a sink is refused as the job is built when its options cannot work, naming the sink and the option', () => {
  const refused = (fn: () => unknown, pattern: string) => {
    const error = thrownBy(fn, pattern);
    assert.is(error.code, 'WEIR_E_OPTION');
    assert.match(error.message, pattern);
  };
  refused(() => sinks.sqlite('x.db', { table: 'a.b.c' }), 'sqlite sink "a.b.c" table');
  refused(() => sinks.sqlite<Count>('x.db', { table: 't', columns: { count: 'real' }, key: 'word' }), 'sqlite sink "t" key');
  refused(() => sinks.sqlite<Count>('x.db', { table: 't', columns: { count: 'number' as 'real' } }), 'sqlite sink "t" columns.count');
  refused(() => sinks.postgres<Count>({ table: 't', url: 'mysql://x' }), 'postgres sink "t" url');
  refused(() => sinks.postgres<Count>({ table: 't', key: ['word', 'word'] }), 'postgres sink "t" key');
  refused(() => sinks.postgres<Count>({ table: 't', ...({ upsert: true } as object) }), 'Unknown option "postgres sink "t" upsert"');
  refused(() => sinks.sqlite('', { table: 't' }), 'sqlite path');
});
Options('the password of a url stays out of the graph', () => {
  const sink = sinks.postgres<Count>({ table: 't', url: 'postgres://app:hunter2@db:5432/stats' });
  assert.not.match(JSON.stringify(sink.describe), 'hunter2');
  assert.match(JSON.stringify(sink.describe), 'postgres://app:***@db:5432/stats');
});
Options.run();

const dir = mkdtempSync(join(tmpdir(), 'weir-sql-'));
const sqliteFile = join(dir, 'sink.db');
const sqliteTarget: Target = {
  name: 'sqlite',
  writer: (options, scope) => sqliteWriter({ file: sqliteFile, table: sqlTable('sqlite sink', options, [], true), busyTimeoutMs: 1000 }, scope),
  async rows(table) {
    const db = new Database(sqliteFile, { readonly: true });
    try {
      return sorted(db.prepare(`SELECT * FROM "${table}"`).all());
    } finally {
      db.close();
    }
  },
  async committed(scope) {
    const db = new Database(sqliteFile, { readonly: true });
    try {
      return (db.prepare('SELECT checkpoint FROM weir_commits WHERE scope = ?').get(scope) as { checkpoint: number } | undefined)?.checkpoint;
    } finally {
      db.close();
    }
  },
  async drop(table) {
    const db = new Database(sqliteFile);
    db.exec(`DROP TABLE IF EXISTS "${table}"`);
    db.close();
  },
};

behaviour(sqliteTarget);

const SqliteErrors = suite('sqlite sink errors');
SqliteErrors('a file in a directory that does not exist: the error names the sink and the file', async () => {
  const file = join(dir, 'missing', 'x.db');
  const writer = sqliteWriter({ file, table: sqlTable('sqlite sink', { table: 't' }, [], true), busyTimeoutMs: 10 }, scope('job/x/0'));
  const error = await rejectionOf(Promise.resolve().then(() => writer.open!()), 'open in a missing directory');
  assert.is(error.code, 'WEIR_E_CONNECTOR');
  assert.match(error.message, `sqlite sink "t" at ${file}: opening the database failed`);
});
SqliteErrors.run();

if (await reachable('sql-sinks.spec (postgres)', 'postgres')) {
  const url = SERVICES.postgres.url;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const postgresTarget: Target = {
    name: 'postgres',
    writer: (options, scope) => postgresWriter({ url, table: sqlTable('postgres sink', options, [], false), connectTimeoutMs: 5000 }, scope),
    rows: async (table) => sorted((await admin.query(`SELECT * FROM "${table}"`)).rows),
    committed: async (scope) => (await admin.query<{ checkpoint: number }>('SELECT checkpoint FROM weir_commits WHERE scope = $1', [scope])).rows[0]?.checkpoint,
    drop: async (table) => void (await admin.query(`DROP TABLE IF EXISTS "${table}"`)),
  };
  behaviour(postgresTarget);

  const Pg = suite('postgres sink connections');
  Pg.after(async () => {
    await admin.query('DELETE FROM weir_commits WHERE scope LIKE $1', [`${run}/%`]);
    await admin.end();
  });

  Pg('a server that refuses: the error names the sink, host:port/database without the password, and the cause', async () => {
    const writer = postgresWriter<Count>({ url: 'postgres://postgres:secret@127.0.0.1:1/test', table: sqlTable('postgres sink', { table: 'counts' }, [], false), connectTimeoutMs: 2000 }, scope('job/refused/0'));
    const error = await rejectionOf(Promise.resolve().then(() => writer.open!()), 'open on a refusing port');
    await writer.close!();
    assert.is(error.code, 'WEIR_E_CONNECTOR');
    assert.match(error.message, 'postgres sink "counts" at 127.0.0.1:1/test: connecting failed: ');
    assert.match(error.message, /ECONNREFUSED/);
    assert.match(error.message, /PGHOST/);
    assert.not.match(error.message, /secret/);
  });

  Pg('without a url, the sink connects where the PG* environment variables say, and names that address', async () => {
    const { hostname, port, pathname, username } = new URL(url);
    const env = { PGHOST: hostname, PGPORT: port || '5432', PGDATABASE: pathname.slice(1), PGUSER: username };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const table = tableName();
    const writer = postgresWriter<Count>({ url: undefined, table: sqlTable('postgres sink', { table, createTable: true }, [], false), connectTimeoutMs: 5000 }, scope('job/env/0'));
    try {
      await writer.open!();
      await writer.commit({ scope: scope('job/env/0'), rows: [{ word: 'e', count: 1 }] }, 1);
      assert.equal(await postgresTarget.rows(table), [{ word: 'e', count: 1 }]);
      const refused = postgresWriter<Count>({ url: undefined, table: sqlTable('postgres sink', { table }, [], false), connectTimeoutMs: 5000 }, scope('job/env/1'));
      process.env.PGPORT = '1';
      const error = await rejectionOf(Promise.resolve().then(() => refused.open!()), 'open at PGPORT=1');
      await refused.close!();
      assert.match(error.message, `postgres sink "${table}" at ${hostname}:1/${env.PGDATABASE}: connecting failed`);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await writer.close!();
      await postgresTarget.drop(table);
    }
  });

  Pg('a connection the server ends between commits is replaced: the next commit (or the one after a failed one) reaches the table', async () => {
    const table = tableName();
    const writer = postgresWriter<Count>({ url, table: sqlTable('postgres sink', { table, key: 'word', createTable: true }, [], false), connectTimeoutMs: 5000 }, scope('job/reconnect/0'));
    await writer.open!();
    try {
      await writer.commit({ scope: scope('job/reconnect/0'), rows: [{ word: 'a', count: 1 }] }, 1);
      const ended = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`weir postgres sink "${table}"`]);
      assert.is(ended.rowCount, 1, 'expected the sink to hold one session');
      const txn = { scope: scope('job/reconnect/0'), rows: [{ word: 'a', count: 2 }, { word: 'b', count: 1 }] };
      // The pool may not have heard of the end yet: that commit fails, naming the sink, and the restart's recommit goes through.
      const failed = await Promise.resolve(writer.commit(txn, 2)).then(() => undefined, (e: Error & { code?: string }) => e);
      if (failed) {
        assert.is(failed.code, 'WEIR_E_CONNECTOR');
        assert.match(failed.message, `postgres sink "${table}" at 127.0.0.1:5432/test: committing checkpoint 2`);
        await writer.commit(txn, 2);
      }
      console.log(`  (after the server ended the session, the next commit ${failed ? 'failed and its recommit reconnected' : 'reconnected'})`);
      assert.equal(await postgresTarget.rows(table), [{ word: 'a', count: 2 }, { word: 'b', count: 1 }]);
    } finally {
      await writer.close!();
      await postgresTarget.drop(table);
    }
  });

  Pg.run();
}
