import { job, sinks, sources, state, type Collector } from 'weir';

export interface WordCountParams {
  lines: string[];
}

export interface WordCount {
  word: string;
  count: number;
}

export default job('word-count', (env, params: WordCountParams) => {
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
    .to(sinks.collect('counts'));
});
