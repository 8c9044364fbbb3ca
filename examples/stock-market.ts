/**
 * The market of the flagship example (`stock-vwap.ts`): trades computed from their index, so that
 * every run and every parallelism sees the same market, and a spec can compute what the job must
 * find from the same trades.
 *
 * Trade `i` happens at `open + i / rate` ms, minus a jitter of up to `maxOutOfOrderMs`: the trades
 * come slightly out of order, as from several exchanges, but never more than that. Prices follow a
 * random walk per symbol, with two kinds of surprise for the alerts to find: a single trade far
 * off the price (a fat finger), and news that moves a symbol's price for the rest of a minute.
 */

export interface Trade {
  /** The trade's index: ties in time are ordered by it. */
  id: number;
  symbol: string;
  price: number;
  size: number;
  /** Event time, ms since the epoch. */
  ts: number;
}

/** What the market and the job are made of; every field has a default (see `marketOf`). */
export interface StockParams {
  /** Trades in all (default 1M: 6 minutes 40 seconds of market). */
  trades?: number;
  symbols?: number;
  /** Trades per millisecond of market time, over all symbols (default 2.5: 8 a second per symbol). */
  rate?: number;
  /** How far a trade's time may lag behind the newest trade's before it (default 250 ms). */
  maxOutOfOrderMs?: number;
  /** An alert when a price is this many standard deviations from the symbol's recent mean (default 4). */
  sigmas?: number;
  /** How long after an alert it is confirmed (a jump, the price stayed) or not (a spike), in ms of event time (default 5 s). */
  confirmMs?: number;
  /** The share of trades priced far off (default 1 in 100,000). */
  spikes?: number;
  /** The share of symbol-minutes with news that moves the price until the minute ends (default 1 in 200). */
  news?: number;
  /** Every `every`-th VWAP update of a symbol goes to the `vwap` output (default 1000). */
  every?: number;
  /** An SQLite file: the candles also go to its table `candles`, keyed by symbol and start. */
  db?: string;
  /** A PostgreSQL URL: the candles go to its table `candles` instead of an SQLite file. */
  pg?: string;
}

export type Market = Required<Omit<StockParams, 'db' | 'pg'>> & { names: string[]; open: number };

/** 09:30 UTC on a trading day: where the market's event time starts. */
export const OPEN = Date.UTC(2024, 2, 15, 9, 30);

/** The params with their defaults. */
export function marketOf(params: StockParams | undefined): Market {
  const p = {
    trades: 1_000_000,
    symbols: 300,
    rate: 2.5,
    maxOutOfOrderMs: 250,
    sigmas: 4,
    confirmMs: 5_000,
    spikes: 1e-5,
    news: 0.005,
    every: 1000,
    ...params,
  };
  return { ...p, names: symbolNames(p.symbols), open: OPEN };
}

/** A stable pseudo-random number in [0, 1) for an integer (a hash, not a generator: no state). */
export function noise(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** Smoothly interpolated noise: neighbouring ticks have close values, like a random walk. */
function smooth(seed: number, t: number): number {
  const i = Math.floor(t);
  const f = t - i;
  const a = noise(seed * 1_000_003 + i);
  const b = noise(seed * 1_000_003 + i + 1);
  return a + (b - a) * (f * f * (3 - 2 * f)) - 0.5;
}

/** Ticker-like names: AAA, AAB, … */
export const symbolNames = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => {
    let s = '';
    for (let n = i + 26 * 26; n > 0; n = Math.floor(n / 26)) s = String.fromCharCode(65 + (n % 26)) + s;
    return s;
  });

/** News of symbol `s` in minute `minute`: from `at` ms into the minute its price is `factor` times what it was. */
function newsOf(m: Market, s: number, minute: number): { at: number; factor: number } | undefined {
  if (noise(s * 7919 + minute * 104_729 + 17) >= m.news) return undefined;
  const move = 0.02 + 0.02 * noise(s * 31 + minute * 131 + 5);
  return { at: 60_000 * noise(s * 37 + minute * 139 + 3), factor: noise(s * 41 + minute * 149 + 1) < 0.5 ? 1 - move : 1 + move };
}

/** The trade with this index: symbol by a hash, price a walk in log space around the symbol's base. */
export function tradeAt(index: number, m: Market): Trade {
  const symbols = m.names;
  const s = Math.floor(noise(index) * symbols.length);
  const t = Math.floor(index / m.rate);
  const base = 20 + 480 * noise(s + 7);
  // Drift over minutes, swings over seconds, and a little noise per trade.
  const walk = 0.1 * smooth(s, t / 600_000) + 0.01 * smooth(s + 9973, t / 20_000) + 0.001 * (noise(index + 31) - 0.5);
  let price = base * Math.exp(walk);
  const news = newsOf(m, s, Math.floor(t / 60_000));
  if (news && t % 60_000 >= news.at) price *= news.factor;
  if (noise(index * 3 + 11) < m.spikes) price *= 1 + (noise(index * 5 + 1) < 0.5 ? -1 : 1) * (0.03 + 0.03 * noise(index * 5 + 2));
  return {
    id: index,
    symbol: symbols[s]!,
    price: Math.round(price * 100) / 100,
    size: 1 + Math.floor(noise(index ^ 0x5bd1e995) * 500),
    ts: m.open + t - Math.floor(noise(index ^ 0x2545f491) * (m.maxOutOfOrderMs + 1)),
  };
}
