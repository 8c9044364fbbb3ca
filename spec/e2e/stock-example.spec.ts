/**
 * The flagship example (`npm start`) at a small size, at parallelism 1 and 2, against a brute-force
 * reference written plainly here: the same trades (the example's market is a function of the index),
 * sorted and grouped by symbol and second for the candles, by symbol and minute for the moving
 * averages, and read one by one in event-time order for the alerts. The trades come out of order
 * within `maxOutOfOrderMs`, from two source subtasks at parallelism 2: the results must not care.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { marketOf, SPAN, tradeAt, WARMUP, type Alert, type Candle, type MovingAverage, type StockParams, type Trade, type Vwap } from '../../examples/stock-vwap.ts';
import { assertSameMultiset, Runtime, watchdog } from '../helpers.ts';

const example = new URL('../../examples/stock-vwap.ts', import.meta.url);

const byTime = (a: Trade, b: Trade) => a.ts - b.ts || a.id - b.id;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Every trade of the run, in index order. */
function tradesOf(params: StockParams): Trade[] {
  const m = marketOf(params);
  return Array.from({ length: m.trades }, (_, i) => tradeAt(i, m));
}

/** One candle per symbol and second that has trades: open and close by event time. */
function expectedCandles(trades: readonly Trade[]): Candle[] {
  return [...groupBy(trades, (t) => `${t.symbol} ${Math.floor(t.ts / 1000)}`).values()].map((group) => {
    const sorted = [...group].sort(byTime);
    return {
      symbol: sorted[0]!.symbol,
      start: Math.floor(sorted[0]!.ts / 1000) * 1000,
      open: sorted[0]!.price,
      high: Math.max(...sorted.map((t) => t.price)),
      low: Math.min(...sorted.map((t) => t.price)),
      close: sorted.at(-1)!.price,
      volume: sorted.reduce((v, t) => v + t.size, 0),
      trades: sorted.length,
    };
  });
}

/** Each candle (at its second's last millisecond) is in the six minutes that start every 10 s before it and end after it. */
function expectedMovingAverages(candles: readonly Candle[]): MovingAverage[] {
  const out: MovingAverage[] = [];
  for (const [symbol, own] of groupBy(candles, (c) => c.symbol)) {
    const windows = new Map<number, Candle[]>();
    for (const c of [...own].sort((a, b) => a.start - b.start)) {
      const t = c.start + 999;
      for (let start = Math.floor(t / 10_000) * 10_000; start > t - 60_000; start -= 10_000) windows.set(start, [...(windows.get(start) ?? []), c]);
    }
    for (const [start, members] of windows) {
      const closes = members.reduce((s, c) => s + c.close, 0);
      out.push({ symbol, end: start + 60_000, sma: round(closes / members.length, 2), volume: members.reduce((s, c) => s + c.volume, 0), candles: members.length });
    }
  }
  return out;
}

/**
 * Each symbol's trades in event-time order through exponentially weighted stats: an alert when a
 * price is more than `sigmas` deviations off the mean (none while one waits for its confirmation),
 * confirmed with the last price at or before `confirmMs` later; prices enter the stats clipped to
 * `sigmas` deviations once the stats are warm.
 */
function expectedAlerts(trades: readonly Trade[], params: StockParams): Alert[] {
  const { sigmas, confirmMs } = marketOf(params);
  const alpha = 2 / (SPAN + 1);
  const out: Alert[] = [];
  for (const [symbol, own] of groupBy(trades, (t) => t.symbol)) {
    let n = 0;
    let mean = 0;
    let variance = 0;
    let last = NaN;
    let raised: { ts: number; price: number; mean: number; sigma: number } | undefined;
    const confirm = () => {
      if (raised === undefined) return;
      const { ts, price, mean: m, sigma } = raised;
      out.push({ symbol, ts, price, mean: round(m, 2), sigma: round(sigma, 3), z: round((price - m) / sigma, 1), after: last, kind: (last - m) / (price - m) >= 0.5 ? 'jump' : 'spike' });
      raised = undefined;
    };
    for (const t of [...own].sort(byTime)) {
      if (raised !== undefined && t.ts > raised.ts + confirmMs) confirm();
      const sigma = Math.sqrt(variance);
      const warm = n >= WARMUP && sigma > 0;
      if (warm && raised === undefined && Math.abs(t.price - mean) > sigmas * sigma) raised = { ts: t.ts, price: t.price, mean, sigma };
      const x = warm ? Math.min(Math.max(t.price, mean - sigmas * sigma), mean + sigmas * sigma) : t.price;
      if (n === 0) mean = x;
      else {
        const d = x - mean;
        mean += alpha * d;
        variance = (1 - alpha) * (variance + alpha * d * d);
      }
      n++;
      last = t.price;
    }
    confirm();
  }
  return out;
}

interface Outputs {
  candles: Candle[];
  sma: MovingAverage[];
  alerts: Alert[];
  vwap: Vwap[];
}

let runtime: Runtime;

async function runExample(params: StockParams, parallelism: number): Promise<Outputs> {
  const h = await watchdog(runtime.run(example, { parallelism, params }), 'start');
  const [candles, sma, alerts, vwap] = await watchdog(
    Promise.all([h.collected<Candle>('candles'), h.collected<MovingAverage>('sma'), h.collected<Alert>('alerts'), h.collected<Vwap>('vwap')]),
    `stock example at parallelism ${parallelism}`,
  );
  return { candles, sma, alerts, vwap };
}

function assertMatchesReference(params: StockParams, got: Outputs, what: string): Alert[] {
  const trades = tradesOf(params);
  const candles = expectedCandles(trades);
  const alerts = expectedAlerts(trades, params);
  assertSameMultiset(got.candles, candles, `${what}: candles`);
  assertSameMultiset(got.sma, expectedMovingAverages(candles), `${what}: moving averages`);
  assertSameMultiset(got.alerts, alerts, `${what}: alerts`);
  // The VWAP follows arrival order, which two source subtasks interleave as they go: only how many samples there are is fixed.
  const every = marketOf(params).every;
  const samples = [...groupBy(trades, (t) => t.symbol).values()].reduce((n, own) => n + Math.floor(own.length / every), 0);
  assert.is(got.vwap.length, samples, `${what}: one VWAP sample per ${every} trades of a symbol`);
  return alerts;
}

const Stock = suite('the stock example: candles, moving averages and alerts equal the brute-force reference');

Stock.before(() => void (runtime = new Runtime({ workers: 2 })));
Stock.after(() => runtime.close());

/** Two minutes of a small market with many surprises, so that both kinds of alert occur. */
const lively: StockParams = { trades: 6_000, symbols: 3, rate: 0.05, maxOutOfOrderMs: 250, spikes: 0.003, news: 0.3, confirmMs: 2_000, every: 500 };

for (const parallelism of [1, 2]) {
  Stock(`a lively market at parallelism ${parallelism}: spikes and jumps found, as the reference finds them`, async () => {
    const alerts = assertMatchesReference(lively, await runExample(lively, parallelism), `p${parallelism}`);
    assert.ok(alerts.some((a) => a.kind === 'spike') && alerts.some((a) => a.kind === 'jump'), `expected both kinds of alert in the reference, got ${JSON.stringify(alerts)}`);
  });
}

Stock('any small market, any disorder within the bound, at parallelism 1 and 2', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        trades: fc.integer({ min: 500, max: 4_000 }),
        symbols: fc.integer({ min: 1, max: 4 }),
        rate: fc.constantFrom(0.02, 0.05, 0.2),
        maxOutOfOrderMs: fc.constantFrom(0, 40, 400),
        sigmas: fc.constantFrom(3, 4),
        confirmMs: fc.constantFrom(500, 3_000),
        spikes: fc.constant(0.005),
        news: fc.constant(0.2),
      }),
      fc.constantFrom(1, 2),
      async (params, parallelism) => {
        assertMatchesReference(params, await runExample(params, parallelism), `p${parallelism} ${JSON.stringify(params)}`);
      },
    ),
    { numRuns: 6 },
  );
});

Stock.run();
