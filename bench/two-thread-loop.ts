/**
 * The loop on two threads, each over half of the bids, with no exchange and no framework: how much
 * this machine gives two busy threads for this work. Threads are started before the clock starts.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loop } from './bids.ts';

interface Half {
  from: number;
  to: number;
}

/** Records per second of the two-thread loop over `records` bids. */
export async function twoThreadLoop(records: number): Promise<number> {
  const half = Math.floor(records / 2);
  const halves: Half[] = [
    { from: 0, to: half },
    { from: half, to: records },
  ];
  const workers = halves.map((h) => new Worker(new URL(import.meta.url), { workerData: h }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const t0 = performance.now();
    const done = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    return records / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (!isMainThread) {
  const { from, to } = workerData as Half;
  parentPort!.once('message', () => {
    loop(to, from);
    parentPort!.postMessage('done');
  });
  parentPort!.postMessage('ready');
}
