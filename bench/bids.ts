/**
 * The bid workload of `npm run bench`: `{auction, bidder, price, ts}`, 90% of bids on 100 hot
 * auctions, the rest uniform over 100k auctions; count and sum of price per auction. The job and
 * the hand-written loop call the same generator, so they compute over the same data.
 */
import { job, sinks, sources, state, type KeyedOperatorContext, type ValueState } from 'weir';

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  ts: number;
}

export interface AuctionTotal {
  auction: number;
  count: number;
  sum: number;
}

export const HOT_AUCTIONS = 100;
export const AUCTIONS = 100_000;

/** A stable hash of an integer into [0, 2^32): bids are a pure function of their index. */
function mix(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function bidAt(index: number): Bid {
  const h = mix(index);
  const hot = h % 10 !== 0;
  return {
    auction: hot ? (h >>> 8) % HOT_AUCTIONS : (h >>> 4) % AUCTIONS,
    bidder: mix(index + 1) % 1_000_000,
    price: 1 + ((h >>> 12) % 100_000) / 100,
    ts: 1_700_000_000_000 + index,
  };
}

/** The baseline: one thread, one Map, no framework. `from` starts at a later bid (the two-thread loop's second half). */
export function loop(count: number, from = 0): Map<number, { count: number; sum: number }> {
  const totals = new Map<number, { count: number; sum: number }>();
  for (let i = from; i < count; i++) {
    const bid = bidAt(i);
    const t = totals.get(bid.auction);
    if (t === undefined) totals.set(bid.auction, { count: 1, sum: bid.price });
    else {
      t.count++;
      t.sum += bid.price;
    }
  }
  return totals;
}

export interface BidParams {
  count: number;
}

/**
 * The same computation as a weir job: generate → keyBy(auction) → a keyed operator that keeps a
 * count and a sum per auction and emits the totals when its input ends (the operator contract's
 * `close` hook), → collect.
 */
export default job('bids', (env, params: BidParams) => {
  env
    .from(sources.generate(bidAt, { count: params.count }))
    .name('bids')
    .keyBy((bid) => bid.auction)
    .transform<AuctionTotal>('totals', () => {
      let ctx: KeyedOperatorContext<number>;
      let totals: ValueState<{ count: number; sum: number } | undefined>;
      return {
        open(context) {
          ctx = context;
          totals = ctx.keyedState('totals', state.value<{ count: number; sum: number }>());
        },
        process(bid) {
          const t = totals.value();
          if (t === undefined) totals.update({ count: 1, sum: bid.price });
          else {
            t.count++;
            t.sum += bid.price;
          }
        },
        close(out) {
          for (const auction of ctx.keys()) {
            const t = totals.value()!;
            out.collect({ auction, count: t.count, sum: t.sum });
          }
        },
      };
    })
    .to(sinks.collect('totals'));
});
