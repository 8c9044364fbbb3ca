import { job, sinks, sources, type Sink } from 'weir';

export interface SqlRowsParams {
  count: number;
  /** Upsert: the rows' ids repeat modulo `keys`; append: every record a new id. */
  upsert: boolean;
  keys: number;
  target: 'sqlite' | 'postgres' | 'discard';
  sqlite?: string;
  url?: string;
  table: string;
}

export interface Row {
  id: number;
  name: string;
  value: number;
  at: number;
}

/** Generated rows, keyed by id, into a SQL table (or dropped, for the baseline). */
export default job('sql-rows', (env, p: SqlRowsParams) => {
  const key = p.upsert ? { key: 'id' as const } : {};
  const sink: Sink<Row> =
    p.target === 'discard'
      ? sinks.discard()
      : p.target === 'sqlite'
        ? sinks.sqlite<Row>(p.sqlite!, { table: p.table, ...key })
        : sinks.postgres<Row>({ url: p.url!, table: p.table, ...key, createTable: true });
  env
    .from(sources.generate((i) => ({ id: p.upsert ? i % p.keys : i, name: `row ${i}`, value: i * 0.5, at: 1_700_000_000_000 + i }), { count: p.count }))
    .keyBy((r) => r.id)
    .map((r) => r)
    .to(sink);
});
