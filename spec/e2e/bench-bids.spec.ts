/**
 * The job that `npm run bench` times, run small and checked against the hand-written loop it is
 * compared with: the benchmark's figures mean something only if both compute the same totals.
 * Correctness only; speed is measured by the benchmark, never here.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bidAt, HOT_AUCTIONS, loop, type AuctionTotal } from '../../bench/bids.ts';
import { assertNothingLeft, resourceCounts, run, Runtime, watchdog } from '../helpers.ts';

const JOB = new URL('../../bench/bids.ts', import.meta.url);
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

bench.run();
