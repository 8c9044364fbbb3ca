/**
 * The windowed bid workload of `npm run bench`: the bids of `bids.ts` with event time (one ms per
 * bid, each up to `DISORDER_MS` early, so a little out of order), into 10-second tumbling
 * event-time windows per auction, with the count and sum of price per auction and window. The job
 * and the hand-written loop call the same generator, so they compute over the same data.
 */
import { job, sinks, sources, windows } from 'weir';
import { bidAt, type Bid } from './bids.ts';

export interface WindowTotal {
  auction: number;
  /** The window's start (ms); it ends `WINDOW_MS` later. */
  start: number;
  count: number;
  sum: number;
}

export const WINDOW_MS = 10_000;
/** How far a bid's event time is behind the bid index's time at most (exclusive). */
export const DISORDER_MS = 50;
/** The watermarks' bound: no bid is ever late. */
export const MAX_OUT_OF_ORDER_MS = DISORDER_MS;

/**
 * Bid `index` with an event time: `bidAt(index).ts` (one ms per bid) less up to `DISORDER_MS - 1`
 * ms, taken from the bidder (already a hash of the index), so later bids can come with earlier
 * times, never more than the bound apart.
 */
export function timedBidAt(index: number): Bid {
  const bid = bidAt(index);
  bid.ts -= bid.bidder % DISORDER_MS;
  return bid;
}

/**
 * The baseline: one thread, no framework. A Map of totals per auction for each open window (by
 * start), the watermark as the windows' operator makes it (the highest time seen less the bound,
 * less 1), and a window flushed (its totals pushed to the result) once the watermark reaches its
 * last ms. Bids for windows already flushed would be late: they are counted and dropped.
 */
export function windowLoop(count: number, from = 0): { totals: WindowTotal[]; late: number } {
  const open = new Map<number, Map<number, { count: number; sum: number }>>();
  const totals: WindowTotal[] = [];
  let late = 0;
  let max = -Infinity;
  /** The last ms of the earliest open window: nothing is flushed before the watermark reaches it. */
  let due = Infinity;
  /** The window the last bid went to: bids come nearly in order, so most go to the same one. */
  let lastStart = NaN;
  let lastAuctions: Map<number, { count: number; sum: number }> | undefined;
  const flush = (watermark: number): void => {
    due = Infinity;
    for (const [start, auctions] of open) {
      const last = start + WINDOW_MS - 1;
      if (last > watermark) {
        if (last < due) due = last;
        continue;
      }
      for (const [auction, t] of auctions) totals.push({ auction, start, count: t.count, sum: t.sum });
      open.delete(start);
      if (start === lastStart) lastStart = NaN;
    }
  };
  for (let i = from; i < count; i++) {
    const bid = timedBidAt(i);
    const ts = bid.ts;
    if (ts > max) max = ts;
    const watermark = max - MAX_OUT_OF_ORDER_MS - 1;
    const start = ts - (ts % WINDOW_MS);
    if (start + WINDOW_MS - 1 <= watermark) {
      late++;
      continue;
    }
    let auctions = start === lastStart ? lastAuctions! : open.get(start);
    if (auctions === undefined) {
      open.set(start, (auctions = new Map()));
      if (start + WINDOW_MS - 1 < due) due = start + WINDOW_MS - 1;
    }
    lastStart = start;
    lastAuctions = auctions;
    const t = auctions.get(bid.auction);
    if (t === undefined) auctions.set(bid.auction, { count: 1, sum: bid.price });
    else {
      t.count++;
      t.sum += bid.price;
    }
    if (watermark >= due) flush(watermark);
  }
  flush(Infinity);
  return { totals, late };
}

export interface WindowedBidParams {
  count: number;
}

/**
 * The same computation as a weir job: generate → withTimestamps (bounded by the disorder) →
 * keyBy(auction) → 10-second tumbling event-time windows, aggregated to count and sum → collect.
 */
export default job('windowed-bids', (env, params: WindowedBidParams) => {
  env
    .from(sources.generate(timedBidAt, { count: params.count }))
    .name('bids')
    .withTimestamps((bid) => bid.ts, { maxOutOfOrderMs: MAX_OUT_OF_ORDER_MS })
    .keyBy((bid) => bid.auction)
    .window(windows.tumbling({ seconds: 10 }))
    .aggregate({
      create: () => ({ count: 0, sum: 0 }),
      add: (acc, bid) => {
        acc.count++;
        acc.sum += bid.price;
        return acc;
      },
      result: (acc, auction, window): WindowTotal => ({ auction, start: window.start, count: acc.count, sum: acc.sum }),
    })
    .to(sinks.collect('totals'));
});
