/**
 * The job of `file-sinks.bench.ts`: the bids of `npm run bench` written as JSON Lines or CSV part
 * files, exactly once, by `parallelism` sink subtasks.
 */
import { job, sinks, sources } from 'weir';
import { bidAt, type Bid } from './bids.ts';

export interface FileSinkParams {
  count: number;
  dir: string;
  format: 'jsonLines' | 'csv';
}

export default job('file-sinks-bench', (env, p: FileSinkParams) => {
  const bids = env.from(sources.generate(bidAt, { count: p.count })).name('bids');
  if (p.format === 'jsonLines') bids.to(sinks.jsonLines<Bid>(p.dir));
  else bids.to(sinks.csv<Bid>(p.dir, { columns: ['auction', 'bidder', 'price', 'ts'] }));
});
