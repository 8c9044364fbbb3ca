/**
 * The job that `npm run bench` times, run small and checked against the hand-written loop it is
 * compared with: the benchmark's figures mean something only if both compute the same totals.
 * Correctness only; speed is measured by the benchmark, never here.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bidAt, HOT_AUCTIONS, loop, type AuctionTotal } from '../../bench/bids.ts';
import { DISORDER_MS, timedBidAt, WINDOW_MS, windowLoop, type WindowTotal } from '../../bench/windowed-bids.ts';
import { assertNothingLeft, resourceCounts, run, Runtime, watchdog } from '../helpers.ts';

const JOB = new URL('../../bench/bids.ts', import.meta.url);
const WINDOW_JOB = new URL('../../bench/windowed-bids.ts', import.meta.url);
const COUNT = 60_000;

const bench = suite('bench: the bid job against the hand-written loop');

bench('the generator is a pure function of the index, 90% of bids on the hot auctions', () => {
  assert.equal(bidAt(12345), bidAt(12345));
  let hot = 0;
  for (let i = 0; i < 10_000; i++) if (bidAt(i).auction < HOT_AUCTIONS) hot++;
  // 90% hot, plus the cold bids that land on an auction number below 100 by chance.
  assert.ok(hot > 8_800 && hot < 9_200, `expected about 90% of bids on hot auctions, got ${hot / 100}%`);
});

/** The job's totals against the loop's: every auction once, exact counts, sums to the last bits. */
function assertLoopTotals(totals: readonly AuctionTotal[], what: string): void {
  const expected = loop(COUNT);
  assert.is(totals.length, expected.size, `${what}: expected one total per auction the loop saw`);
  assert.is(new Set(totals.map((t) => t.auction)).size, totals.length, `${what}: expected each auction once`);
  let records = 0;
  for (const { auction, count, sum } of totals) {
    const e = expected.get(auction);
    assert.ok(e, `${what}: auction ${auction} is not in the loop's result`);
    assert.is(count, e.count, `${what}: auction ${auction}: count`);
    // Parallel inputs interleave, so the float sum may differ from the loop's in its last bits.
    assert.ok(Math.abs(sum - e.sum) <= 1e-9 * Math.abs(e.sum), `${what}: auction ${auction}: sum ${sum}, the loop has ${e.sum}`);
    records += count;
  }
  assert.is(records, COUNT, `${what}: expected every bid counted once`);
}

for (const [parallelism, workers] of [
  [1, 1],
  [2, 2],
  [3, 2],
] as const) {
  bench(`parallelism ${parallelism} on ${workers} worker(s) gives the loop's count and sum per auction`, async () => {
    const before = resourceCounts();
    const handle = await run(JOB, { parallelism, workers, batchSize: 1024, params: { count: COUNT } });
    assertLoopTotals(await watchdog(handle.collected<AuctionTotal>('totals'), 'bench job'), `p${parallelism}`);
    await handle.done;
    assertNothingLeft(before, 'bench job');
  });
}

bench('on one Runtime, as npm run bench runs them: p1, p2 and p1 unchained, one after another', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 2 });
  for (const options of [{ parallelism: 1, workers: 1 }, { parallelism: 2, workers: 2 }, { parallelism: 1, workers: 1, chaining: false }]) {
    const handle = await runtime.run(JOB, { ...options, params: { count: COUNT } });
    assertLoopTotals(await watchdog(handle.collected<AuctionTotal>('totals'), 'bench job on a runtime'), JSON.stringify(options));
    await handle.done;
  }
  await runtime.close();
  assertNothingLeft(before, 'bench jobs on a runtime');
});

bench('the windowed generator: one ms a bid, each at most DISORDER_MS early, the bids of the keyed case', () => {
  let max = -Infinity;
  for (let i = 0; i < 10_000; i++) {
    const bid = timedBidAt(i);
    const { ts, ...rest } = bidAt(i);
    assert.equal({ ...bid, ts: 0 }, { ...rest, ts: 0 }, "expected the keyed case's bid but for its time");
    assert.ok(ts - bid.ts >= 0 && ts - bid.ts < DISORDER_MS, `bid ${i}: ${ts - bid.ts} ms early`);
    assert.ok(bid.ts > max - DISORDER_MS, `bid ${i}: later than the watermark's bound allows`);
    max = Math.max(max, bid.ts);
  }
});

/** One line per (auction, window), sorted: the job's and the loop's must be the same lines. */
const windowLines = (totals: readonly WindowTotal[]) => totals.map((t) => `${t.start} ${t.auction} ${t.count}`).sort();

/** The windowed job's totals against the loop's: the same (auction, window) pairs and counts, sums to the last bits. */
function assertWindowTotals(totals: readonly WindowTotal[], what: string): void {
  const expected = windowLoop(COUNT);
  assert.is(expected.late, 0, 'expected no bid late for the loop: the disorder is within the bound');
  assert.ok(new Set(expected.totals.map((t) => t.start)).size >= COUNT / WINDOW_MS, 'expected several windows');
  assert.equal(windowLines(totals), windowLines(expected.totals), `${what}: expected the loop's windows and counts`);
  const sums = new Map(expected.totals.map((t) => [`${t.start} ${t.auction}`, t.sum]));
  for (const t of totals) {
    const e = sums.get(`${t.start} ${t.auction}`)!;
    assert.ok(Math.abs(t.sum - e) <= 1e-9 * Math.abs(e), `${what}: auction ${t.auction} window ${t.start}: sum ${t.sum}, the loop has ${e}`);
  }
}

for (const [parallelism, workers] of [
  [1, 1],
  [2, 2],
] as const) {
  bench(`windowed: parallelism ${parallelism} gives the loop's count and sum per auction and 10-second window`, async () => {
    const before = resourceCounts();
    const runtime = new Runtime({ workers });
    // Twice on one runtime, as npm run bench runs it: the second run starts from warm threads.
    for (let i = 0; i < 2; i++) {
      const handle = await runtime.run(WINDOW_JOB, { parallelism, workers, batchSize: 1024, params: { count: COUNT } });
      assertWindowTotals(await watchdog(handle.collected<WindowTotal>('totals'), 'windowed bench job'), `windowed p${parallelism}`);
      const { metrics } = await handle.done;
      for (const o of metrics.operators) assert.is(o.lateRecords, 0, `${o.name}: expected no late bid`);
    }
    await runtime.close();
    assertNothingLeft(before, 'windowed bench job');
  });
}

bench.run();
