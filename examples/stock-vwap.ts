/**
 * The flagship example: a stock market on all cores, in event time.
 *
 * Trades of a few hundred symbols (see `stock-market.ts`) arrive slightly out of order, up to
 * `maxOutOfOrderMs`; `withTimestamps` turns their times into event time. Keyed by symbol:
 * - `candles`: 1-second OHLC candles (tumbling windows, aggregated as trades come: open and close
 *   are the first and last trade by event time, not by arrival);
 * - `sma`: a 1-minute moving average of the candles' closes, every 10 seconds (sliding windows on
 *   the candles: windows follow windows);
 * - `alerts`: a price more than `sigmas` standard deviations from the symbol's recent mean. A keyed
 *   process function holds each symbol's trades until the watermark passes them, then reads them in
 *   event-time order (so the alerts are the same at any parallelism); an event-time timer confirms
 *   each alert `confirmMs` later: a `jump` if the price kept at least half of the move, a `spike`
 *   if it came back. Alerts go to a side output of the process function;
 * - `vwap`: the rolling volume-weighted average price, every `every`-th trade of a symbol.
 *
 *   npm start                                   # 1M trades, 6 minutes 40 seconds of market, on all cores
 *   npx weir run examples/stock-vwap.ts --param trades=20000000 --param symbols=500 --param sigmas=5
 *   npx weir run examples/stock-vwap.ts --param db=candles.db   # the candles also into an SQLite table (or --param pg=postgres://…)
 */
import { job, OutputTag, sinks, sources, state, windows, type KeyedProcessDefinition, type MapState, type StateDescriptor, type ValueState } from 'weir';
import { marketOf, tradeAt, type StockParams, type Trade } from './stock-market.ts';

export { marketOf, tradeAt, type StockParams, type Trade } from './stock-market.ts';

/** One second of one symbol. */
export interface Candle {
  symbol: string;
  /** The second's start (ms since the epoch). */
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

/** The minute before `end` of one symbol: the mean of its candles' closes. */
export interface MovingAverage {
  symbol: string;
  end: number;
  sma: number;
  volume: number;
  candles: number;
}

/** A price that jumped, confirmed `confirmMs` later. */
export interface Alert {
  symbol: string;
  /** The trade's time. */
  ts: number;
  price: number;
  /** The recent mean and standard deviation it was compared with, and how far off it was (in those). */
  mean: number;
  sigma: number;
  z: number;
  /** The last price `confirmMs` later: a `jump` if it kept at least half of the move, else a `spike` (it came back). */
  after: number;
  kind: 'jump' | 'spike';
}

export interface Vwap {
  symbol: string;
  vwap: number;
  volume: number;
  trades: number;
  last: number;
}

/** The recent mean and variance are exponentially weighted over about this many trades. */
export const SPAN = 50;
/** Trades a symbol must have had before its stats are trusted. */
export const WARMUP = 20;
/** Trades wait in buckets of this much event time before they are read in order. */
const BUCKET_MS = 100;

export const ALERTS = new OutputTag<Alert>('alerts');

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** An alert raised and not confirmed yet. */
interface Raised {
  ts: number;
  price: number;
  mean: number;
  sigma: number;
  until: number;
}

/** A symbol's running stats over the trades read so far, in event-time order. */
interface Stats {
  n: number;
  mean: number;
  variance: number;
  last: number;
  raised: Raised | null;
}

type AlertState = { waiting: StateDescriptor<MapState<number, Trade[]>>; stats: StateDescriptor<ValueState<Stats | undefined>> };

/** The last millisecond of the bucket that holds `ts`: when the bucket's trades are read. */
const bucketEnd = (ts: number) => Math.floor(ts / BUCKET_MS) * BUCKET_MS + BUCKET_MS - 1;

/**
 * Reads one trade into the stats: first compares it with them (an alert unless one is raised
 * already), then adds it, clipped to `sigmas` deviations so that one wild price does not blind the
 * stats to the next; a lasting move still pulls the mean along within a second or two.
 */
function read(t: Trade, s: Stats, sigmas: number, confirmMs: number): Raised | undefined {
  const alpha = 2 / (SPAN + 1);
  const sigma = Math.sqrt(s.variance);
  let raised: Raised | undefined;
  if (s.n >= WARMUP && sigma > 0 && s.raised === null && Math.abs(t.price - s.mean) > sigmas * sigma) {
    raised = { ts: t.ts, price: t.price, mean: s.mean, sigma, until: t.ts + confirmMs };
    s.raised = raised;
  }
  const x = s.n >= WARMUP && sigma > 0 ? Math.min(Math.max(t.price, s.mean - sigmas * sigma), s.mean + sigmas * sigma) : t.price;
  if (s.n === 0) s.mean = x;
  else {
    const d = x - s.mean;
    s.mean += alpha * d;
    s.variance = (1 - alpha) * (s.variance + alpha * d * d);
  }
  s.n++;
  s.last = t.price;
  return raised;
}

/** The alert detector: a keyed process function with state and event-time timers. */
const detector = (sigmas: number, confirmMs: number): KeyedProcessDefinition<Trade, string, AlertState, never> => ({
  state: { waiting: state.map<number, Trade[]>(), stats: state.value<Stats>() },
  process(trade, ctx) {
    // Held until the watermark passes the trade's bucket: then every trade up to there has come.
    const end = bucketEnd(trade.ts);
    const bucket = ctx.state.waiting.get(end);
    if (bucket === undefined) ctx.timers.registerEventTime(end);
    ctx.state.waiting.put(end, bucket === undefined ? [trade] : (bucket.push(trade), bucket));
  },
  onTimer(time, ctx) {
    const stats = ctx.state.stats.value() ?? { n: 0, mean: 0, variance: 0, last: NaN, raised: null };
    // The bucket's end, or a confirmation within it: then only its trades up to `time` are due.
    const end = bucketEnd(time);
    const bucket = ctx.state.waiting.get(end);
    if (bucket !== undefined) {
      const due = end === time ? bucket : bucket.filter((t) => t.ts <= time);
      const rest = end === time ? [] : bucket.filter((t) => t.ts > time);
      if (rest.length > 0) ctx.state.waiting.put(end, rest);
      else ctx.state.waiting.remove(end);
      due.sort((a, b) => a.ts - b.ts || a.id - b.id);
      for (const t of due) {
        const raised = read(t, stats, sigmas, confirmMs);
        if (raised) ctx.timers.registerEventTime(raised.until);
      }
    }
    const r = stats.raised;
    if (r !== null && r.until <= time) {
      ctx.output(ALERTS, {
        symbol: ctx.key,
        ts: r.ts,
        price: r.price,
        mean: round(r.mean, 2),
        sigma: round(r.sigma, 3),
        z: round((r.price - r.mean) / r.sigma, 1),
        after: stats.last,
        kind: (stats.last - r.mean) / (r.price - r.mean) >= 0.5 ? 'jump' : 'spike',
      });
      stats.raised = null;
    }
    ctx.state.stats.update(stats);
  },
});

export default job('stock-vwap', (env, params: StockParams | undefined) => {
  const m = marketOf(params);

  const trades = env
    .from(sources.generate((i) => tradeAt(i, m), { count: m.trades }))
    .name('trades')
    .withTimestamps((t) => t.ts, { maxOutOfOrderMs: m.maxOutOfOrderMs })
    .name('event time');
  const bySymbol = trades.keyBy((t) => t.symbol);

  const candles = bySymbol
    .window(windows.tumbling({ seconds: 1 }))
    .aggregate({
      create: () => ({ open: 0, openAt: Infinity, openId: 0, close: 0, closeAt: -Infinity, closeId: 0, high: -Infinity, low: Infinity, volume: 0, trades: 0 }),
      add: (c, t) => {
        if (t.ts < c.openAt || (t.ts === c.openAt && t.id < c.openId)) {
          c.open = t.price;
          c.openAt = t.ts;
          c.openId = t.id;
        }
        if (t.ts > c.closeAt || (t.ts === c.closeAt && t.id > c.closeId)) {
          c.close = t.price;
          c.closeAt = t.ts;
          c.closeId = t.id;
        }
        if (t.price > c.high) c.high = t.price;
        if (t.price < c.low) c.low = t.price;
        c.volume += t.size;
        c.trades++;
        return c;
      },
      result: (c, symbol, w): Candle => ({ symbol, start: w.start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades }),
    })
    .name('candles');
  candles.to(sinks.collect('candles')).name('candles out');
  // With --param db=FILE (SQLite) or --param pg=URL (PostgreSQL), the candles are also a table, committed per checkpoint.
  const table = { table: 'candles', key: ['symbol', 'start'] as ('symbol' | 'start')[], createTable: true };
  if (params?.pg) candles.to(sinks.postgres<Candle>({ url: params.pg, ...table })).name('candles table');
  else if (params?.db) candles.to(sinks.sqlite<Candle>(params.db, table)).name('candles table');

  candles
    .keyBy((c) => c.symbol)
    .window(windows.sliding({ size: { minutes: 1 }, slide: { seconds: 10 } }))
    .aggregate({
      create: () => ({ n: 0, closes: 0, volume: 0 }),
      add: (a, c: Candle) => {
        a.n++;
        a.closes += c.close;
        a.volume += c.volume;
        return a;
      },
      result: (a, symbol, w): MovingAverage => ({ symbol, end: w.end, sma: round(a.closes / a.n, 2), volume: a.volume, candles: a.n }),
    })
    .name('sma')
    .to(sinks.collect('sma'))
    .name('sma out');

  bySymbol
    .process(detector(m.sigmas, m.confirmMs))
    .name('alerts')
    .sideOutput(ALERTS)
    .to(sinks.collect('alerts'))
    .name('alerts out');

  bySymbol
    .aggregate({
      create: () => ({ volume: 0, notional: 0, trades: 0, last: 0 }),
      add: (acc, t) => {
        acc.volume += t.size;
        acc.notional += t.size * t.price;
        acc.trades += 1;
        acc.last = t.price;
        return acc;
      },
      result: (acc, symbol): Vwap => ({ symbol, vwap: round(acc.notional / acc.volume, 2), volume: acc.volume, trades: acc.trades, last: acc.last }),
    })
    .name('vwap')
    .filter((v) => v.trades % m.every === 0)
    .name('sample')
    .to(sinks.collect('vwap'))
    .name('vwap out');
});
