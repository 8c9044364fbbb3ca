/**
 * The golden jobs (issue 11): three small jobs of the kinds weir is for, whose exactly-once outputs
 * must come out the same however they are run: straight through, with periodic checkpoints, with
 * failures injected and recovered by the supervisor. Their records are computed from an index, so
 * every run (and the reference the specs and `npm run chaos` compare with) sees the same input.
 *
 * - `keyed-reduce`: a rolling count and sum per key (a keyed aggregate emitting on every record);
 *   its outputs in order per key are its keyed state after each record, the last one per key its
 *   final keyed state.
 * - `candles`: the flagship's windowed candles (`examples/stock-vwap.ts`) on the same market:
 *   1-second OHLC candles per symbol in event time (the source at parallelism 2, reading splits),
 *   and the 1-minute moving average of their closes every 10 seconds.
 * - `window-join`: two sources joined per key in 10 ms tumbling event-time windows.
 *
 * Failures are injected by a map right after each source, or (`place: 'keyed'`) inside the keyed
 * function of `keyed-reduce` and `candles`: at the first time the record `at` passes there (across
 * threads and attempts: a marker file per fault, created by whoever fires it), it throws, ends its
 * worker thread, or allocates until the thread is over its memory limit (`workerMemoryMb` of the
 * runtime). A restarted attempt that reads the record again passes it.
 */
import { join } from 'node:path';
import { job, sinks, sources, windows, type DataStream, type KeyedStream, type StreamEnvironment } from 'weir';
import { marketOf, noise, tradeAt, type Market, type Trade } from '../examples/stock-market.ts';
import type { Candle } from '../examples/stock-vwap.ts';
import { firstTime } from './fixtures/first-time.ts';

export type GoldenJob = 'keyed-reduce' | 'candles' | 'window-join';
export const GOLDEN_JOBS: readonly GoldenJob[] = ['keyed-reduce', 'candles', 'window-join'];

/** How an injected fault fails its attempt. */
export type FaultKind = 'throw' | 'exit' | 'oom';
export const FAULT_KINDS: readonly FaultKind[] = ['throw', 'exit', 'oom'];

export interface Fault {
  /** The record's id (an index below `GoldenParams.records`). */
  at: number;
  kind: FaultKind;
  /** Where it fires: the map after the source (default), or the keyed function (not in `window-join`). */
  place?: 'source' | 'keyed';
}

export interface GoldenParams {
  job: GoldenJob;
  /** Records in all (over both sources of the join). */
  records: number;
  /** Parallelism of the keyed operators. */
  parallelism: number;
  faults?: Fault[];
  /** A directory for the faults' marker files (needed with `faults`). */
  markers?: string;
  /** Every source record's id to the at-least-once output `ticks` too: a test that reads it at its pace paces the job. */
  ticks?: boolean;
}

/** The exactly-once outputs of each job: what must be identical in every run. */
export const GOLDEN_OUTPUTS: Record<GoldenJob, readonly string[]> = {
  'keyed-reduce': ['totals'],
  candles: ['candles', 'sma'],
  'window-join': ['pairs'],
};

/** A record of `keyed-reduce` and `window-join`: id, key, event time. */
export interface Event {
  id: number;
  key: string;
  ts: number;
  v: number;
}

/** `keyed-reduce`'s keyed state after a record: records and sum of the key so far. */
export interface Total {
  key: string;
  n: number;
  sum: number;
}

export interface Sma {
  symbol: string;
  end: number;
  sma: number;
  candles: number;
}

export interface Pair {
  key: string;
  a: number;
  b: number;
}

const KEYS = 7;
const JOIN_WINDOW_MS = 10;

/** Event `i`: a key by a hash, in order of time. */
export const eventAt = (i: number): Event => ({ id: i, key: `k${Math.floor(noise(i * 13 + 1) * KEYS)}`, ts: i, v: Math.floor(noise(i * 17 + 3) * 100) });

/** A quiet market of 10 symbols, 50 trades a second: a few trades per candle. */
export const goldenMarket = (records: number): Market => marketOf({ trades: records, symbols: 10, rate: 0.05 });

/** Fails as `kind` says, at record `id`. */
function fail(kind: FaultKind, id: number, where: string): never {
  if (kind === 'exit') process.exit(5);
  if (kind === 'oom') {
    const hog: number[][] = [];
    for (;;) hog.push(new Array<number>(1 << 20).fill(id));
  }
  throw new Error(`injected fault at record ${id} (${where})`);
}

/** The check a place runs on every record: fires the place's fault at `id`, once. */
function injector(p: GoldenParams, place: 'source' | 'keyed'): (id: number) => void {
  const here = new Map<number, { index: number; kind: FaultKind }>();
  (p.faults ?? []).forEach((f, index) => {
    if ((f.place ?? 'source') === place) here.set(f.at, { index, kind: f.kind });
  });
  if (here.size === 0) return () => {};
  return (id) => {
    const fault = here.get(id);
    if (fault && firstTime(join(p.markers!, `fault-${fault.index}`))) fail(fault.kind, id, place);
  };
}

/** A source of `count` records computed from their index, with its fault injector. */
function from<T extends { id: number }>(env: StreamEnvironment, p: GoldenParams, name: string, count: number, at: (i: number) => T, parallelism: number): DataStream<T> {
  const check = injector(p, 'source');
  return env
    .from(sources.generate(at, { count }))
    .name(name)
    .uid(name)
    .parallelism(parallelism)
    .map((r) => {
      check(r.id);
      return r;
    })
    .name(`${name} faults`)
    .parallelism(parallelism);
}

/** With `p.ticks`: the ids of the sources' records to `ticks`, at once (a test paces the job by reading them). */
function ticks<T extends { id: number }>(p: GoldenParams, first: DataStream<T>, ...more: DataStream<T>[]): void {
  if (p.ticks) first.union(...more).map((r) => r.id).name('ticks').to(sinks.collect<number>('ticks'));
}

function keyedReduce(env: StreamEnvironment, p: GoldenParams): void {
  const check = injector(p, 'keyed');
  const events = from(env, p, 'events', p.records, eventAt, 1);
  ticks(p, events);
  events
    .keyBy((e) => e.key)
    .aggregate({
      create: () => ({ n: 0, sum: 0 }),
      add: (acc, e: Event) => {
        check(e.id);
        acc.n++;
        acc.sum += e.v;
        return acc;
      },
      result: (acc, key): Total => ({ key, n: acc.n, sum: acc.sum }),
    })
    .name('totals')
    .uid('totals')
    .parallelism(p.parallelism)
    .to(sinks.collect<Total>('totals', { delivery: 'exactly-once' }));
}

function candles(env: StreamEnvironment, p: GoldenParams): void {
  const m = goldenMarket(p.records);
  const check = injector(p, 'keyed');
  const trades = from(env, p, 'trades', p.records, (i) => tradeAt(i, m), 2);
  ticks(p, trades);
  const bySymbol: KeyedStream<Trade, string> = trades
    .withTimestamps((t) => t.ts, { maxOutOfOrderMs: m.maxOutOfOrderMs })
    .name('event time')
    .parallelism(2)
    .keyBy((t) => t.symbol);
  const candle = bySymbol
    .window(windows.tumbling({ seconds: 1 }))
    .aggregate({
      create: () => ({ open: 0, openAt: Infinity, openId: 0, close: 0, closeAt: -Infinity, closeId: 0, high: -Infinity, low: Infinity, volume: 0, trades: 0 }),
      add: (c, t: Trade) => {
        check(t.id);
        if (t.ts < c.openAt || (t.ts === c.openAt && t.id < c.openId)) Object.assign(c, { open: t.price, openAt: t.ts, openId: t.id });
        if (t.ts > c.closeAt || (t.ts === c.closeAt && t.id > c.closeId)) Object.assign(c, { close: t.price, closeAt: t.ts, closeId: t.id });
        c.high = Math.max(c.high, t.price);
        c.low = Math.min(c.low, t.price);
        c.volume += t.size;
        c.trades++;
        return c;
      },
      result: (c, symbol, w): Candle => ({ symbol, start: w.start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades }),
    })
    .name('candles')
    .uid('candles')
    .parallelism(p.parallelism);
  candle.to(sinks.collect<Candle>('candles', { delivery: 'exactly-once' }));
  candle
    .keyBy((c) => c.symbol)
    .window(windows.sliding({ size: { minutes: 1 }, slide: { seconds: 10 } }))
    .aggregate({
      create: () => ({ n: 0, closes: 0 }),
      add: (a, c: Candle) => ({ n: a.n + 1, closes: a.closes + c.close }),
      result: (a, symbol, w): Sma => ({ symbol, end: w.end, sma: Math.round((a.closes / a.n) * 100) / 100, candles: a.n }),
    })
    .name('sma')
    .uid('sma')
    .parallelism(p.parallelism)
    .to(sinks.collect<Sma>('sma', { delivery: 'exactly-once' }));
}

function windowJoin(env: StreamEnvironment, p: GoldenParams): void {
  // Ids of a are even, of b odd: a fault's `at` names one record of either.
  const half = Math.ceil(p.records / 2);
  const side = (name: string, parity: 0 | 1) =>
    from(env, p, name, parity === 0 ? half : p.records - half, (i) => ({ ...eventAt(2 * i + parity), ts: i }), 1)
      .withTimestamps((e) => e.ts, { maxOutOfOrderMs: 0 })
      .name(`${name} time`)
      .parallelism(1);
  const [a, b] = [side('a', 0), side('b', 1)];
  ticks(p, a, b);
  a.join(b)
    .where((x) => x.key)
    .equalTo((y) => y.key)
    .window(windows.tumbling(JOIN_WINDOW_MS))
    .apply((x, y): Pair => ({ key: x.key, a: x.id, b: y.id }))
    .name('join')
    .uid('join')
    .parallelism(p.parallelism)
    .to(sinks.collect<Pair>('pairs', { delivery: 'exactly-once' }));
}

/** The golden jobs, one module: `params.job` picks the job (see the module's doc). */
export default job('golden', (env, p: GoldenParams) => {
  if (p.faults?.length && !p.markers) throw new Error('golden: faults need a markers directory');
  if (p.job === 'keyed-reduce') keyedReduce(env, p);
  else if (p.job === 'candles') candles(env, p);
  else if (p.job === 'window-join') windowJoin(env, p);
  else throw new Error(`golden: no job ${JSON.stringify(p.job)}; one of ${GOLDEN_JOBS.join(', ')}`);
});
