import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Sink } from '../../lib/operator/sink.ts';
import { twoPhaseSink, type TwoPhaseWriter } from '../../lib/operator/two-phase-sink.ts';
import { errors, WeirError } from '../../lib/errors.ts';
import {
  columnsOf,
  commitsSql,
  createTableSql,
  describeTable,
  insertSql,
  lastPerKey,
  quoteName,
  rowValues,
  sqlTable,
  sqlTransactions,
  type SqlColumn,
  type SqlDialect,
  type SqlTable,
  type SqlTableOptions,
  type SqlTxn,
} from './sql-table.ts';

/** Options of `sinks.sqlite`: the table (see `SqlTableOptions`), and how long a commit waits for another writer of the file. */
export interface SqliteSinkOptions<T extends object> extends SqlTableOptions<T> {
  /** How long a commit waits while another connection writes the file (default 10 000 ms); then it fails. */
  readonly busyTimeoutMs?: number;
}

// The driver loads (a native module) when a sink opens, not whenever weir is imported.
const require = createRequire(import.meta.url);

const sqlite: SqlDialect = {
  name: 'sqlite',
  types: { text: 'TEXT', real: 'REAL', integer: 'INTEGER', boolean: 'INTEGER', json: 'TEXT', timestamp: 'TEXT' },
  placeholder: () => '?',
  // better-sqlite3 binds numbers, bigints, strings and buffers only.
  value(value, type) {
    if (type === 'json') return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    if (type === 'timestamp') return typeof value === 'string' ? value : new Date(value as number | Date).toISOString();
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
    return value;
  },
};

/**
 * Writes records as rows of a table in an SQLite file, exactly once: each checkpoint's records go
 * in one transaction, which also stores the checkpoint as the last one committed for the subtask
 * (in the file's `weir_commits` table), so a transaction committed again after a restart changes
 * nothing. With `key`, a record replaces the row with its key (an upsert); without, every record is
 * a new row. Rows appear when their checkpoint completes; a job without checkpoints commits
 * everything at its successful end. The table is created unless `createTable: false` (its columns
 * from `columns`, or from the first records).
 *
 * Every sink subtask opens the file on its own connection, in WAL mode: readers never block the
 * commits, and a commit waits (up to `busyTimeoutMs`) for another thread's to finish. A commit is
 * synchronous: the worker thread does nothing else while it runs.
 *
 * @example
 * ```ts
 * counts.to(sinks.sqlite<WordCount>('out/counts.db', { table: 'counts', key: 'word' }));
 * // sqlite3 out/counts.db 'SELECT word, count FROM counts ORDER BY count DESC LIMIT 10'
 * ```
 */
export function sqliteSink<T extends object>(path: string, options: SqliteSinkOptions<T>): Sink<T> {
  if (typeof path !== 'string' || path.length === 0) throw errors.invalidOption('sqlite path', path, 'the path of a database file');
  const connector = `sqlite sink "${options?.table}"`;
  const table = sqlTable(connector, options, ['busyTimeoutMs'], true);
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw errors.invalidOption(`${connector} busyTimeoutMs`, busyTimeoutMs, 'a whole number of milliseconds ≥ 0');
  const file = path === ':memory:' ? path : resolve(path);
  return twoPhaseSink<T, SqlTxn<T>>({
    name: 'sqlite',
    describe: { path: file, ...describeTable(table), busyTimeoutMs },
    create: ({ scope }) => sqliteWriter<T>({ file, table, busyTimeoutMs }, scope),
  });
}

/** Where a SQLite sink writes: the file (resolved), the checked table options, the busy timeout. */
export interface SqliteTarget {
  readonly file: string;
  readonly table: SqlTable;
  readonly busyTimeoutMs: number;
}

/** The transactions of one SQLite sink subtask, filed under `scope` (see `sqliteSink`). */
export function sqliteWriter<T extends object>({ file, table, busyTimeoutMs }: SqliteTarget, scope: string): TwoPhaseWriter<T, SqlTxn<T>> {
  const connector = `sqlite sink "${table.table}"`;
  // A WeirError (the records lack the key, say) names the sink already.
  const fail = (doing: string, cause: unknown, todo: string) => (cause instanceof WeirError ? cause : errors.connectorFailed(connector, file, doing, cause, todo));
  let db: BetterSqlite3.Database | undefined;
  let columns: readonly SqlColumn[] | undefined;
  let insert: BetterSqlite3.Statement | undefined;
  let commit: ((txn: SqlTxn<T>, checkpointId: number) => void) | undefined;
  /** The table exists (created if asked) and the insert is prepared: once the columns are known. */
  const shape = (database: BetterSqlite3.Database, known: readonly SqlColumn[]) => {
    if (table.createTable) database.exec(createTableSql(sqlite, table, known));
    insert = database.prepare(insertSql(sqlite, table, known, 1));
    columns = known;
  };
  return {
    ...sqlTransactions<T>(scope, table.key),
    // Synchronous, so that the database is open before any commit (a checkpoint's can come while the subtask opens).
    open() {
      const Database = require('better-sqlite3') as typeof BetterSqlite3;
      let database: BetterSqlite3.Database;
      try {
        database = db = new Database(file, { timeout: busyTimeoutMs });
        database.pragma('journal_mode = WAL');
        database.exec(commitsSql.create('REAL'));
      } catch (cause) {
        throw fail('opening the database', cause, 'Check that its directory exists and is writable, and that the file is an SQLite database.');
      }
      try {
        if (table.columns !== undefined) shape(database, table.columns);
        else if (!table.createTable) database.prepare(`SELECT * FROM ${quoteName(table.table)} LIMIT 0`);
      } catch (cause) {
        throw fail(`preparing table "${table.table}"`, cause, table.createTable ? 'Check that its columns are those of the records.' : 'Create the table, or pass createTable: true.');
      }
      const claim = database.prepare(commitsSql.claim(sqlite));
      const last = database.prepare<[string], { checkpoint: number }>(commitsSql.last(sqlite, false));
      const record = database.prepare(commitsSql.record(sqlite));
      // BEGIN IMMEDIATE: the write lock first, so that no other connection commits between the check and the write.
      const transaction = database.transaction((txn: SqlTxn<T>, checkpointId: number) => {
        claim.run(txn.scope);
        if (last.get(txn.scope)!.checkpoint >= checkpointId) return;
        const rows = lastPerKey(table.key, txn.rows);
        if (rows.length > 0) {
          if (columns === undefined) shape(database, columnsOf(connector, table, rows));
          for (const row of rows) insert!.run(rowValues(sqlite, columns!, [row]));
        }
        record.run(checkpointId, txn.scope);
      });
      commit = (txn, checkpointId) => transaction.immediate(txn, checkpointId);
    },
    commit(txn, checkpointId) {
      try {
        commit!(txn, checkpointId);
      } catch (cause) {
        const busy = (cause as { code?: string }).code === 'SQLITE_BUSY';
        throw fail(
          `committing checkpoint ${checkpointId} (${txn.rows.length} rows)`,
          cause,
          busy ? `Another connection held the file for longer than busyTimeoutMs (${busyTimeoutMs} ms).` : 'Check that the table\'s columns are those of the records, and that a key has a unique constraint.',
        );
      }
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}
