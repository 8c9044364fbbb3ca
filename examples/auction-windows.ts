import { job, OutputTag, sinks, sources, state, windows, type Collector } from 'weir';

export interface Bid {
  auction: number;
  price: number;
  /** When the bid was made, in epoch milliseconds: its event time. */
  ts: number;
}

export interface AuctionWindow {
  auction: number;
  start: number;
  bids: number;
  total: number;
  top: number;
}

export interface QuietAuction {
  auction: number;
  lastBidAt: number;
}

/** Bids that arrive after their window has closed for good: kept, never dropped. */
export const lateBids = new OutputTag<Bid>('late-bids');

export default job('auction-windows', (env, params: { bids: Bid[] }) => {
  const bids = env
    .from(sources.fromArray(params.bids))
    .withTimestamps((bid) => bid.ts, { maxOutOfOrderMs: 2_000 })
    .keyBy((bid) => bid.auction);

  // Per auction and 10 seconds of event time: count, total and top price, one accumulator each.
  const perWindow = bids
    .window(windows.tumbling({ seconds: 10 }))
    .allowedLateness({ seconds: 5 })
    .sideOutputLateData(lateBids)
    .aggregate({
      create: () => ({ bids: 0, total: 0, top: 0 }),
      add: (acc, bid) => ({ bids: acc.bids + 1, total: acc.total + bid.price, top: Math.max(acc.top, bid.price) }),
      result: (acc, auction, window): AuctionWindow => ({ auction, start: window.start, ...acc }),
    });
  perWindow.to(sinks.collect('windows'));
  perWindow.sideOutput(lateBids).to(sinks.collect('late'));

  // An auction with no bid for 30 seconds of event time: an event-time timer per auction.
  bids
    .process({
      state: { last: state.value<number>() },
      process(bid, ctx) {
        const last = Math.max(ctx.state.last.value() ?? -Infinity, bid.ts);
        ctx.state.last.update(last);
        ctx.timers.registerEventTime(last + 30_000);
      },
      onTimer(time, ctx, out: Collector<QuietAuction>) {
        const last = ctx.state.last.value();
        if (last !== undefined && time === last + 30_000) out.collect({ auction: ctx.key, lastBidAt: last });
      },
    })
    .to(sinks.collect('quiet'));
});
