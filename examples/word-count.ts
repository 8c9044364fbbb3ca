import { job, sinks, sources } from 'weir';

export interface WordCountParams {
  lines: string[];
}

export default job('word-count', (env, params: WordCountParams) => {
  env
    .from(sources.fromArray(params.lines))
    .flatMap((line) => line.toLowerCase().split(/\W+/))
    .filter((word) => word.length > 0)
    .keyBy((word) => word)
    .process<{ word: string; count: number }, number>((word, ctx, out) => {
      const count = (ctx.state.value() ?? 0) + 1;
      ctx.state.update(count);
      out.collect({ word, count });
    })
    .name('count')
    .to(sinks.collect('counts'));
});
