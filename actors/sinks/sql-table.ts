/**
 * What the SQL sinks (`sinks.sqlite`, `sinks.postgres`) share: their options, the table's columns
 * (given, or derived from the records), the statements that create it and write rows into it, and
 * the `weir_commits` table that makes their commits exactly once. The dialects differ in their
 * placeholders, column types and values; the connection and the transaction are each sink's own.
 */
import type { JsonValue } from '../../lib/util/json.ts';
import type { TwoPhaseCommit } from '../../lib/operator/two-phase-commit.ts';
import { errors } from '../../lib/errors.ts';

/**
 * A column's type, as a SQL sink creates it: `text`, `real` (a JavaScript number: DOUBLE PRECISION /
 * REAL), `integer` (a bigint: BIGINT / INTEGER), `boolean`, `json` (objects and arrays: JSONB, or
 * TEXT in SQLite), `timestamp` (a Date or milliseconds: TIMESTAMPTZ, or ISO-8601 TEXT in SQLite).
 */
export type SqlColumnType = 'text' | 'real' | 'integer' | 'boolean' | 'json' | 'timestamp';

/** A field of the record type, by name. */
export type SqlField<T> = keyof T & string;

/** How a SQL sink writes records of type `T` into its table: one row per record, one column per field. */
export interface SqlTableOptions<T extends object> {
  /** The table, `name` or `schema.name`; names are quoted as given (their case is kept). */
  readonly table: string;
  /**
   * The field(s) whose values identify a row: each record then replaces the row with its key
   * (an upsert: the table needs a primary key or unique constraint on them, which `createTable`
   * makes). Without a key, every record is a new row (an append).
   */
  readonly key?: SqlField<T> | readonly SqlField<T>[];
  /**
   * The columns written, each with its type (used when the table is created). Default: every field
   * of the first records the sink commits, typed from their values (a number is `real`, a string
   * `text`, a bigint `integer`, a Date `timestamp`, an object or array `json`).
   */
  readonly columns?: { readonly [K in SqlField<T>]?: SqlColumnType };
  /**
   * Create the table (`CREATE TABLE IF NOT EXISTS`, the key as its primary key) if it is missing.
   * Default: true for SQLite (a file the job writes), false for PostgreSQL (a server's schema).
   */
  readonly createTable?: boolean;
}

/** The sink's options once checked: the key as a list, the columns as given (or undefined: derived). */
export interface SqlTable {
  readonly table: string;
  readonly key: readonly string[];
  readonly columns: readonly SqlColumn[] | undefined;
  readonly createTable: boolean;
}

export interface SqlColumn {
  readonly name: string;
  readonly type: SqlColumnType;
}

const TYPES: readonly SqlColumnType[] = ['text', 'real', 'integer', 'boolean', 'json', 'timestamp'];
const OPTIONS = ['table', 'key', 'columns', 'createTable'];

/** Checks a SQL sink's table options, naming the sink (`connector`) in what it reports. */
export function sqlTable<T extends object>(connector: string, options: SqlTableOptions<T>, extra: readonly string[], createByDefault: boolean): SqlTable {
  if (typeof options !== 'object' || options === null) throw errors.invalidOption(`${connector} options`, options, '{ table, key?, columns?, createTable? }');
  for (const name of Object.keys(options)) if (!OPTIONS.includes(name) && !extra.includes(name)) throw errors.unknownOption(`${connector} ${name}`, [...OPTIONS, ...extra]);
  const { table } = options;
  if (typeof table !== 'string' || !/^[^.\0]+(\.[^.\0]+)?$/.test(table)) throw errors.invalidOption(`${connector} table`, table, 'a table name, or schema.name');
  const given: unknown = options.key;
  if (given !== undefined && typeof given !== 'string' && !Array.isArray(given)) throw errors.invalidOption(`${connector} key`, given, 'a field name or a list of them');
  const key: string[] = given === undefined ? [] : typeof given === 'string' ? [given] : [...(given as string[])];
  if (key.some((k) => typeof k !== 'string' || k.length === 0) || new Set(key).size !== key.length) throw errors.invalidOption(`${connector} key`, key, 'field names, each once');
  let columns: SqlColumn[] | undefined;
  if (options.columns !== undefined) {
    if (typeof options.columns !== 'object' || options.columns === null) throw errors.invalidOption(`${connector} columns`, options.columns, "an object of field → type, e.g. { word: 'text', count: 'real' }");
    columns = Object.entries(options.columns as Record<string, unknown>).map(([name, type]) => {
      if (!TYPES.includes(type as SqlColumnType)) throw errors.invalidOption(`${connector} columns.${name}`, type, TYPES.map((t) => `'${t}'`).join(', '));
      return { name, type: type as SqlColumnType };
    });
    if (columns.length === 0) throw errors.invalidOption(`${connector} columns`, options.columns, 'at least one column');
    const missing = key.filter((k) => !columns!.some((c) => c.name === k));
    if (missing.length > 0) throw errors.invalidOption(`${connector} key`, missing.join(', '), `fields among the columns (${columns.map((c) => c.name).join(', ')})`);
  }
  const createTable = options.createTable ?? createByDefault;
  if (typeof createTable !== 'boolean') throw errors.invalidOption(`${connector} createTable`, createTable, 'true or false');
  return { table, key, columns, createTable };
}

/** The options as they enter the graph fingerprint. */
export const describeTable = (t: SqlTable): { [name: string]: JsonValue } => ({
  table: t.table,
  key: [...t.key],
  columns: t.columns === undefined ? null : t.columns.map((c) => `${c.name} ${c.type}`),
  createTable: t.createTable,
});

/** The type of a column, from a value in it. */
const typeOf = (value: unknown): SqlColumnType | undefined => {
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return 'real';
    case 'bigint':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'object':
      return value === null ? undefined : value instanceof Date ? 'timestamp' : 'json';
    default:
      return undefined;
  }
};

/**
 * The columns as given, or every field found in `rows` typed from its first value that is not
 * null (`text` if there is none): the shape of the table when no columns are given.
 */
export function columnsOf(connector: string, table: SqlTable, rows: readonly object[]): readonly SqlColumn[] {
  if (table.columns !== undefined) return table.columns;
  const found = new Map<string, SqlColumnType | undefined>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (typeof value === 'function' || typeof value === 'symbol') continue;
      if (found.get(name) === undefined) found.set(name, typeOf(value));
    }
  }
  const missing = table.key.filter((k) => !found.has(k));
  if (missing.length > 0) throw errors.invalidOption(`${connector} key`, missing.join(', '), `fields the records have (${[...found.keys()].join(', ')})`);
  return [...found].map(([name, type]) => ({ name, type: type ?? 'text' }));
}

/** What differs between the SQL databases the sinks write to. */
export interface SqlDialect {
  /** The connector's name in errors and in the graph (`sqlite`, `postgres`). */
  readonly name: string;
  /** The database type of each column type. */
  readonly types: Readonly<Record<SqlColumnType, string>>;
  /** The placeholder of the `n`-th parameter (1-based). */
  placeholder(n: number): string;
  /** A record's value as the driver binds it into a column of `type`. */
  value(value: unknown, type: SqlColumnType): unknown;
}

/** `name` or `schema.name`, quoted. */
export const quoteName = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');

export function createTableSql(dialect: SqlDialect, table: SqlTable, columns: readonly SqlColumn[]): string {
  const defs = columns.map((c) => `${quoteName(c.name)} ${dialect.types[c.type]}${table.key.includes(c.name) ? ' NOT NULL' : ''}`);
  if (table.key.length > 0) defs.push(`PRIMARY KEY (${table.key.map(quoteName).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${quoteName(table.table)} (${defs.join(', ')})`;
}

/**
 * An INSERT of `rows` rows (multi-row VALUES): with a key, an upsert (the non-key columns replaced
 * on conflict; nothing when every column is the key).
 */
export function insertSql(dialect: SqlDialect, table: SqlTable, columns: readonly SqlColumn[], rows: number): string {
  const names = columns.map((c) => quoteName(c.name));
  const values: string[] = [];
  for (let r = 0, n = 1; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns.length; c++) row.push(dialect.placeholder(n++));
    values.push(`(${row.join(', ')})`);
  }
  let sql = `INSERT INTO ${quoteName(table.table)} (${names.join(', ')}) VALUES ${values.join(', ')}`;
  if (table.key.length > 0) {
    const updates = columns.filter((c) => !table.key.includes(c.name)).map((c) => `${quoteName(c.name)} = excluded.${quoteName(c.name)}`);
    sql += ` ON CONFLICT (${table.key.map(quoteName).join(', ')}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
  }
  return sql;
}

/** The parameters of `rows`, row after row, column after column (an absent field is NULL). */
export function rowValues(dialect: SqlDialect, columns: readonly SqlColumn[], rows: readonly object[], into: unknown[] = []): unknown[] {
  for (const row of rows) {
    for (const c of columns) {
      const value = (row as Record<string, unknown>)[c.name];
      into.push(value === undefined || value === null ? null : dialect.value(value, c.type));
    }
  }
  return into;
}

/** A record's key as one string (what a transaction dedupes rows by). */
const keyOf = (key: readonly string[], row: object): string => JSON.stringify(key.map((k) => (row as Record<string, unknown>)[k] ?? null), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/**
 * What a SQL sink's transaction holds until its checkpoint completes: its records, and the scope
 * its commit is filed under in `weir_commits`. Plain data: checkpoints keep prepared ones.
 */
export interface SqlTxn<T> {
  readonly scope: string;
  readonly rows: T[];
}

/**
 * The steps of a SQL sink's transactions other than `commit`: a transaction gathers records in
 * memory; with a key, only the last record per key (an upsert of the same key twice in one
 * statement is an error in PostgreSQL, and the earlier one would be overwritten anyway).
 */
export function sqlTransactions<T extends object>(scope: string, key: readonly string[]): Omit<TwoPhaseCommit<T, SqlTxn<T>>, 'commit'> {
  // Where each key's row is in an open transaction's rows (a transaction restored from a checkpoint has none: it is written to no more).
  const positions = new WeakMap<SqlTxn<T>, Map<string, number>>();
  return {
    begin: () => {
      const txn: SqlTxn<T> = { scope, rows: [] };
      if (key.length > 0) positions.set(txn, new Map());
      return txn;
    },
    write: (txn, records) => {
      const at = positions.get(txn);
      if (at === undefined) {
        for (const r of records) txn.rows.push(r);
        return;
      }
      for (const r of records) {
        const k = keyOf(key, r);
        const i = at.get(k);
        if (i === undefined) at.set(k, txn.rows.push(r) - 1);
        else txn.rows[i] = r;
      }
    },
    prepare: () => {},
    abort: () => {},
  };
}

/** A transaction's rows, the last per key (for one restored from a checkpoint, whose rows were deduped when written: a no-op). */
export function lastPerKey<T extends object>(key: readonly string[], rows: readonly T[]): readonly T[] {
  if (key.length === 0) return rows;
  const last = new Map<string, T>();
  for (const r of rows) last.set(keyOf(key, r), r);
  return last.size === rows.length ? rows : [...last.values()];
}

/**
 * `weir_commits`: per scope (`<jobId>/<operator>/<subtask>`), the last checkpoint whose transaction
 * is in the table. A commit reads it, and writes its rows and its checkpoint in one transaction
 * only if its checkpoint is newer: a transaction committed again (after a restart from the
 * checkpoint that held it prepared) changes nothing. The end of a bounded job commits `Infinity`.
 */
export const COMMITS_TABLE = 'weir_commits';

export const commitsSql = {
  create: (real: string) => `CREATE TABLE IF NOT EXISTS ${COMMITS_TABLE} (scope TEXT PRIMARY KEY, checkpoint ${real} NOT NULL)`,
  claim: (d: SqlDialect) => `INSERT INTO ${COMMITS_TABLE} (scope, checkpoint) VALUES (${d.placeholder(1)}, 0) ON CONFLICT (scope) DO NOTHING`,
  /** PostgreSQL: `FOR UPDATE` holds the scope's row to the end of the transaction (SQLite's BEGIN IMMEDIATE holds the whole file). */
  last: (d: SqlDialect, lock: boolean) => `SELECT checkpoint FROM ${COMMITS_TABLE} WHERE scope = ${d.placeholder(1)}${lock ? ' FOR UPDATE' : ''}`,
  record: (d: SqlDialect) => `UPDATE ${COMMITS_TABLE} SET checkpoint = ${d.placeholder(1)} WHERE scope = ${d.placeholder(2)}`,
} as const;
