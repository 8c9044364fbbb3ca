/**
 * Type-level assertions about the SQL sinks (checked by `npm run typecheck`): the record type
 * names the key and the columns a sink may be given.
 */
import { job, sinks, sources, type Sink, type SqliteSinkOptions } from 'weir';
import type { Equals, Expect } from './api-types.ts';

interface WordCount {
  word: string;
  count: number;
}

export const sqlTyped = job('sql-types', (env) => {
  const counts = env.from(sources.fromArray<WordCount>([{ word: 'a', count: 1 }]));
  // The record type comes from the stream the sink is given to.
  counts.to(sinks.sqlite('counts.db', { table: 'counts', key: 'word' }));
  counts.to(sinks.postgres({ table: 'counts', key: ['word'], columns: { word: 'text', count: 'real' }, createTable: true }));
  // Compiled, never run (an unknown column type is also refused as the graph is built).
  const _mistyped = () => {
    // @ts-expect-error a key must be a field of the records
    counts.to(sinks.sqlite('counts.db', { table: 'counts', key: 'words' }));
    // @ts-expect-error a column type is one of the SQL sinks' types
    counts.to(sinks.postgres({ table: 'counts', columns: { count: 'number' } }));
    // @ts-expect-error a column must be a field of the records
    counts.to(sinks.postgres<WordCount>({ table: 'counts', columns: { total: 'real' } }));
  };
});

const sink = sinks.sqlite<WordCount>('counts.db', { table: 'counts' });
export const _sink: Expect<Equals<typeof sink, Sink<WordCount>>> = true;
export const _key: Expect<Equals<NonNullable<SqliteSinkOptions<WordCount>['key']>, 'word' | 'count' | readonly ('word' | 'count')[]>> = true;
