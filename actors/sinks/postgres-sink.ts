import type { Pool, PoolClient } from 'pg';
import type { Sink } from '../../lib/operator/sink.ts';
import { twoPhaseSink, type TwoPhaseWriter } from '../../lib/operator/two-phase-sink.ts';
import { errors, WeirError } from '../../lib/errors.ts';
import {
  columnsOf,
  commitsSql,
  COMMITS_TABLE,
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

/** Options of `sinks.postgres`: where the server is, and the table (see `SqlTableOptions`). */
export interface PostgresSinkOptions<T extends object> extends SqlTableOptions<T> {
  /**
   * `postgres://user:password@host:port/database`. Default: the environment variables libpq reads
   * (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD), each with its default (localhost:5432).
   */
  readonly url?: string;
  /** How long connecting may take before the attempt fails (default 10 000 ms). */
  readonly connectTimeoutMs?: number;
}

const postgres: SqlDialect = {
  name: 'postgres',
  types: { text: 'TEXT', real: 'DOUBLE PRECISION', integer: 'BIGINT', boolean: 'BOOLEAN', json: 'JSONB', timestamp: 'TIMESTAMPTZ' },
  placeholder: (n) => `$${n}`,
  value(value, type) {
    if (type === 'json') return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    if (type === 'timestamp' && typeof value === 'number') return new Date(value);
    if (typeof value === 'bigint') return String(value);
    if (type === 'text' && typeof value === 'object' && !(value instanceof Date)) return JSON.stringify(value);
    return value;
  },
};

/** Rows per INSERT: PostgreSQL takes at most 65 535 parameters in a statement. */
const rowsPerStatement = (columns: number): number => Math.max(1, Math.min(500, Math.floor(65_535 / columns)));

/** A url with its password hidden (the graph's description and errors never show it). */
const withoutPassword = (url: string): string => url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');

/**
 * SQLSTATE classes that mean the connection, not the statement, failed: connection exception (08),
 * invalid authorization (28), no such database (3D), operator intervention (57: a server shutting down).
 */
const isConnectionFailure = (cause: unknown): boolean => {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '28', '3D', '57'].includes(code.slice(0, 2));
};

/**
 * Writes records as rows of a PostgreSQL table, exactly once: each checkpoint's records go in one
 * transaction (batched multi-row INSERTs; with `key`, `INSERT … ON CONFLICT (key) DO UPDATE`, an
 * upsert; without, appended rows), which also stores the checkpoint as the last one committed for
 * the subtask in the `weir_commits` table (its row locked with `FOR UPDATE`), so a transaction
 * committed again after a restart changes nothing. Rows appear when their checkpoint completes; a
 * job without checkpoints commits everything at its successful end. `createTable: true` creates
 * the table if it is missing (its columns from `columns`, or from the first records); by default
 * it must exist, with a primary key or unique constraint on `key`.
 *
 * Every sink subtask holds one connection. A server that is down or refuses fails the subtask with
 * an error naming the sink, the address and the cause; the job's restart strategy applies, and the
 * next attempt connects again (a server that came back is used again).
 *
 * @example
 * ```ts
 * counts.to(sinks.postgres<WordCount>({ url: 'postgres://app@db:5432/stats', table: 'counts', key: 'word', createTable: true }));
 * ```
 */
export function postgresSink<T extends object>(options: PostgresSinkOptions<T>): Sink<T> {
  const connector = `postgres sink "${options?.table}"`;
  const table = sqlTable(connector, options, ['url', 'connectTimeoutMs'], false);
  const { url } = options;
  if (url !== undefined && (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url))) throw errors.invalidOption(`${connector} url`, url, 'postgres://user:password@host:port/database, or omit it for PGHOST, PGPORT, …');
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(connectTimeoutMs) || connectTimeoutMs < 1) throw errors.invalidOption(`${connector} connectTimeoutMs`, connectTimeoutMs, 'a whole number of milliseconds ≥ 1');
  return twoPhaseSink<T, SqlTxn<T>>({
    name: 'postgres',
    describe: { url: url === undefined ? 'environment' : withoutPassword(url), ...describeTable(table), connectTimeoutMs },
    create: ({ scope }) => postgresWriter<T>({ url, table, connectTimeoutMs }, scope),
  });
}

/** Where a PostgreSQL sink writes: the url (undefined: the environment's PG* variables), the checked table options, the connect timeout. */
export interface PostgresTarget {
  readonly url: string | undefined;
  readonly table: SqlTable;
  readonly connectTimeoutMs: number;
}

/** The transactions of one PostgreSQL sink subtask, filed under `scope` (see `postgresSink`). */
export function postgresWriter<T extends object>({ url, table, connectTimeoutMs }: PostgresTarget, scope: string): TwoPhaseWriter<T, SqlTxn<T>> {
  const connector = `postgres sink "${table.table}"`;
  let pool: Pool | undefined;
  let address = '(not connected)';
  let columns: readonly SqlColumn[] | undefined;
  const statements = new Map<number, string>();
  // A WeirError (the records lack the key, say) names the sink already.
  const fail = (doing: string, cause: unknown) =>
    cause instanceof WeirError ? cause : errors.connectorFailed(
      connector,
      address,
      doing,
      cause,
      isConnectionFailure(cause)
        ? 'Check that PostgreSQL runs there and that the url option (or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD) points to it; the job\'s restart strategy applies, and a restarted attempt connects again.'
        : `The server refused a statement${(cause as { code?: string }).code ? ` (SQLSTATE ${(cause as { code?: string }).code})` : ''}: check that table "${table.table}" exists with a column for each field of the records${table.key.length > 0 ? ` and a primary key or unique constraint on (${table.key.join(', ')})` : ''}${table.createTable ? '' : ', or pass createTable: true'}.`,
    );
  const listening = new WeakSet<PoolClient>();
  const connect = async (doing: string): Promise<PoolClient> => {
    let client: PoolClient;
    try {
      client = await pool!.connect();
    } catch (cause) {
      throw fail(doing, cause);
    }
    // A connection the server ends can still report it (ECONNRESET) after its query failed and the pool dropped it:
    // an 'error' event without a listener would crash the thread. What failed is already known from the query.
    if (!listening.has(client)) {
      listening.add(client);
      client.on('error', () => {});
    }
    return client;
  };
  /** Runs `work` in a transaction on the pool's connection; a connection that failed is dropped, the next call opens another. */
  const inTransaction = async (doing: string, work: (client: PoolClient) => Promise<void>, connecting = doing): Promise<void> => {
    const client = await connect(connecting);
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw fail(doing, cause);
    }
  };
  /** The table exists (created if asked, under a lock: two sessions creating one table at once collide in the catalog). */
  const ensureTable = async (client: PoolClient, known: readonly SqlColumn[]): Promise<void> => {
    if (!table.createTable) return;
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weir:${table.table}`]);
    await client.query(createTableSql(postgres, table, known));
  };
  const insert = async (client: PoolClient, rows: readonly T[]): Promise<void> => {
    const per = rowsPerStatement(columns!.length);
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      let text = statements.get(chunk.length);
      if (text === undefined) statements.set(chunk.length, (text = insertSql(postgres, table, columns!, chunk.length)));
      // Named: each size is parsed and planned once per connection.
      await client.query({ name: `weir-insert-${chunk.length}`, text, values: rowValues(postgres, columns!, chunk) });
    }
  };
  /** Connects, and makes sure the tables are there: once, whatever asks first (a checkpoint's commit can come while the subtask still opens). */
  const connectOnce = async (): Promise<void> => {
    const { default: pg } = await import('pg');
    // application_name: the sink's sessions are recognisable in pg_stat_activity.
    const config = { ...(url === undefined ? {} : { connectionString: url }), max: 1, connectionTimeoutMillis: connectTimeoutMs, application_name: `weir ${connector}`.slice(0, 63) };
    const where = new pg.Client(config);
    address = `${where.host}:${where.port}/${where.database ?? where.user ?? '(default database)'}`;
    pool = new pg.Pool(config);
    // A connection that breaks while idle is dropped from the pool; the next commit opens another. Without a listener it would crash the thread.
    pool.on('error', () => {});
    await inTransaction(`preparing table "${table.table}"`, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weir:${COMMITS_TABLE}`]);
      await client.query(commitsSql.create('DOUBLE PRECISION'));
      if (table.columns !== undefined) await ensureTable(client, (columns = table.columns));
      if (!table.createTable) await client.query(`SELECT * FROM ${quoteName(table.table)} LIMIT 0`);
    }, 'connecting');
  };
  let opened: Promise<void> | undefined;
  return {
    ...sqlTransactions<T>(scope, table.key),
    open: () => (opened ??= connectOnce()),
    commit: async (txn, checkpointId) => {
      await (opened ??= connectOnce());
      await inTransaction(`committing checkpoint ${checkpointId} (${txn.rows.length} rows)`, async (client) => {
        await client.query(commitsSql.claim(postgres), [txn.scope]);
        const last = await client.query<{ checkpoint: number }>(commitsSql.last(postgres, true), [txn.scope]);
        if (last.rows[0]!.checkpoint >= checkpointId) return;
        const rows = lastPerKey(table.key, txn.rows);
        if (rows.length > 0) {
          if (columns === undefined) await ensureTable(client, (columns = columnsOf(connector, table, rows)));
          await insert(client, rows);
        }
        await client.query(commitsSql.record(postgres), [checkpointId, txn.scope]);
      });
    },
    async close() {
      await opened?.catch(() => {});
      const ending = pool;
      pool = undefined;
      await ending?.end();
    },
  };
}
