/**
 * The flagship example: a stock market on all cores.
 *
 * A deterministic trade generator for a few hundred symbols (each trade is a pure function of its
 * index, so any parallelism replays the same market), keyed by symbol, with a rolling VWAP
 * (volume-weighted average price) and volume per symbol. Every `every`-th update of a symbol is
 * sent to the `vwap` output.
 *
 *   npm start                                   # 10M trades on all cores
 *   npx weir run examples/stock-vwap.ts --param trades=50000000 --param symbols=500
 *
 * The README shows what a run prints, and its Performance section the bid benchmark against a
 * hand-written loop.
 */
import { job, sinks, sources } from 'weir';

export interface Trade {
  symbol: string;
  price: number;
  size: number;
  ts: number;
}

export interface Vwap {
  symbol: string;
  vwap: number;
  volume: number;
  trades: number;
  last: number;
}

export interface StockParams {
  trades?: number;
  symbols?: number;
  every?: number;
}

/** A stable pseudo-random number in [0, 1) for an integer (a hash, not a generator: no state). */
function noise(n: number): number {
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

export const symbolNames = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => {
    let s = '';
    for (let n = i + 26 * 26; n > 0; n = Math.floor(n / 26)) s = String.fromCharCode(65 + (n % 26)) + s;
    return s;
  });

/** The trade with this index: symbol by a hash, price a walk in log space around the symbol's base. */
export function tradeAt(index: number, symbols: readonly string[]): Trade {
  const s = Math.floor(noise(index) * symbols.length);
  const tick = index / symbols.length;
  const base = 20 + 480 * noise(s + 7);
  const walk = 0.3 * smooth(s, tick / 2000) + 0.05 * smooth(s + 9973, tick / 50) + 0.004 * (noise(index + 31) - 0.5);
  return {
    symbol: symbols[s]!,
    price: Math.round(base * Math.exp(walk) * 100) / 100,
    size: 1 + Math.floor(noise(index ^ 0x5bd1e995) * 500),
    ts: 1_700_000_000_000 + index,
  };
}

export default job('stock-vwap', (env, params: StockParams | undefined) => {
  const trades = params?.trades ?? 10_000_000;
  const symbols = symbolNames(params?.symbols ?? 300);
  const every = params?.every ?? 1000;

  env
    .from(sources.generate((i) => tradeAt(i, symbols), { count: trades }))
    .name('trades')
    .keyBy((t) => t.symbol)
    .aggregate({
      create: () => ({ volume: 0, notional: 0, trades: 0, last: 0 }),
      add: (acc, t) => {
        acc.volume += t.size;
        acc.notional += t.size * t.price;
        acc.trades += 1;
        acc.last = t.price;
        return acc;
      },
      result: (acc, symbol): Vwap => ({
        symbol,
        vwap: Math.round((acc.notional / acc.volume) * 100) / 100,
        volume: acc.volume,
        trades: acc.trades,
        last: acc.last,
      }),
    })
    .name('vwap')
    .filter((v) => v.trades % every === 0)
    .name('sample')
    .to(sinks.collect('vwap'));
});
