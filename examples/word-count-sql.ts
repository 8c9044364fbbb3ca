import { job, sinks, sources, state, type Collector, type Sink } from 'weir';

export interface WordCountSqlParams {
  lines: string[];
  /** A PostgreSQL url (postgres://user@host:5432/db): the counts go there. Without it, into the SQLite file `sqlite`. */
  postgres?: string;
  /** Default: word-counts.db in the current directory. */
  sqlite?: string;
}

export interface WordCount {
  word: string;
  count: number;
}

/**
 * word-count into a table, `word_counts`, one row per word (upserted by `word`): in PostgreSQL when
 * a url is given, in an SQLite file otherwise. With checkpoints (`--checkpoint-interval`), the rows
 * of each checkpoint are committed once it completes; without, all of them at the end.
 */
export default job('word-count-sql', (env, params: WordCountSqlParams) => {
  const table: Sink<WordCount> = params.postgres
    ? sinks.postgres({ url: params.postgres, table: 'word_counts', key: 'word', createTable: true })
    : sinks.sqlite(params.sqlite ?? 'word-counts.db', { table: 'word_counts', key: 'word' });
  env
    .from(sources.fromArray(params.lines))
    .flatMap((line) => line.toLowerCase().split(/\W+/))
    .filter((word) => word.length > 0)
    .keyBy((word) => word)
    .process({
      state: { count: state.value(0) },
      process(word, ctx, out: Collector<WordCount>) {
        const count = ctx.state.count.value() + 1;
        ctx.state.count.update(count);
        out.collect({ word, count });
      },
    })
    .name('count')
    .to(table)
    .name('word_counts');
});
