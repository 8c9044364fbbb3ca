/**
 * The README's code is real: every block marked `<!-- file: path -->` is that file verbatim (and the
 * files compile, since `npm test` type-checks examples/), the walk-through runs, and the options
 * table states the defaults that `run()` applies.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuctionWindow, Bid, QuietAuction } from '../examples/auction-windows.ts';
import { countWords } from '../examples/daemon.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { assertNothingLeft, disordered, resourceCounts, run, Runtime, watchdog } from './helpers.ts';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

const readmeSpec = suite('README');

readmeSpec('every block marked with a file shows that file verbatim', () => {
  const blocks = [...readme.matchAll(/<!-- file: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
  assert.ok(blocks.length >= 2, `expected the walk-through's file blocks, found ${blocks.length}`);
  for (const [, path, code] of blocks) {
    const file = readFileSync(new URL(path!, root), 'utf8');
    assert.fixture(code!, file, `README's copy of ${path} differs from the file: update the README`);
  }
});

readmeSpec('the walk-through job counts words, job after job, on the runtime of a long-lived process', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 2 });
  for (const lines of [['The river and the weir', 'a weir holds the river back', '', 'THE END'], ['weir weir', 'river']]) {
    const counts = await watchdog(countWords(runtime, lines), 'examples/daemon.ts');
    const expected = new Map<string, number>();
    for (const word of lines.join(' ').toLowerCase().split(/\W+/).filter(Boolean)) expected.set(word, (expected.get(word) ?? 0) + 1);
    assert.equal(Object.fromEntries([...counts].sort()), Object.fromEntries([...expected].sort()));
  }
  await runtime.close();
  assertNothingLeft(before, 'examples/daemon.ts');
});

readmeSpec('the event-time walk-through: windows per auction and quiet auctions, as computed plainly', async () => {
  // 5 auctions, bids 0.5 s apart for 50 s, one auction falling silent after 20 s; arrival disorder up to 1.5 s.
  const bids: Bid[] = [];
  for (let i = 0; i < 500; i++) {
    const auction = i % 5;
    const ts = 1_700_000_000_000 + i * 100;
    if (auction === 4 && i * 100 > 20_000) continue;
    bids.push({ auction, price: (i * 37) % 101, ts });
  }
  const arriving = disordered(bids, (b) => b.ts + ((b.price * 7) % 16) * 100);
  const handle = await run(new URL('../examples/auction-windows.ts', import.meta.url), { parallelism: 2, workers: 2, params: { bids: arriving } });
  const [windowsOut, late, quiet] = await watchdog(
    Promise.all([handle.collected<AuctionWindow>('windows'), handle.collected<Bid>('late'), handle.collected<QuietAuction>('quiet')]),
    'examples/auction-windows.ts',
  );
  await handle.done;

  const expected = new Map<string, AuctionWindow>();
  for (const bid of bids) {
    const start = bid.ts - (bid.ts % 10_000);
    const w = expected.get(`${bid.auction}@${start}`) ?? { auction: bid.auction, start, bids: 0, total: 0, top: 0 };
    expected.set(`${bid.auction}@${start}`, { ...w, bids: w.bids + 1, total: w.total + bid.price, top: Math.max(w.top, bid.price) });
  }
  const byKey = (ws: AuctionWindow[]) => ws.map((w) => [`${w.auction}@${w.start}`, w] as const).sort(([a], [b]) => a.localeCompare(b));
  assert.equal(byKey(windowsOut), byKey([...expected.values()]), 'one result per auction and window, as grouped plainly');
  assert.equal(late, [], 'no bid is later than maxOutOfOrderMs, so none is late');
  const lastBid = new Map<number, number>();
  for (const bid of bids) lastBid.set(bid.auction, Math.max(lastBid.get(bid.auction) ?? -Infinity, bid.ts));
  const expectedQuiet = [...lastBid].map(([auction, lastBidAt]) => ({ auction, lastBidAt }));
  // At the end of input the final watermark fires every timer: each auction is quiet after its last bid.
  assert.equal([...quiet].sort((a, b) => a.auction - b.auction), expectedQuiet.sort((a, b) => a.auction - b.auction));
});

readmeSpec('the options table states the defaults run() applies', () => {
  const defaults = resolveOptions({ workers: 2 });
  const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map(([, name, value]) => [name!, value!.trim()]));
  for (const option of ['maxParallelism', 'mailboxCapacity', 'batchSize', 'bufferTimeoutMs', 'watermarkIntervalMs', 'collectCapacity', 'chaining', 'checkRecords'] as const) {
    assert.is(rows.get(option), String(defaults[option]), `README's default of ${option}`);
  }
  for (const option of ['mailboxBytes', 'batchBytes', 'collectBytes'] as const) {
    const shown = /^(\d+) MiB$/.exec(rows.get(option) ?? '');
    assert.ok(shown, `expected README's default of ${option} in MiB, got ${rows.get(option)}`);
    assert.is(Number(shown![1]) * 2 ** 20, defaults[option], `README's default of ${option}`);
  }
  for (const option of ['parallelism', 'workers', 'workerMemoryMb', 'params', 'clock']) assert.ok(rows.has(option), `README lists ${option}`);
});

readmeSpec.run();
