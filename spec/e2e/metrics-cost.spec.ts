/** metrics() is cheap enough to poll: it reads shared memory, keeps nothing, and waits for no worker. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Params as SlowSinkParams } from '../fixtures/slow-sink.ts';
import { assertNothingLeft, fixture, resourceCounts, run, watchdog } from '../helpers.ts';

const WARM_UP = 1_000;
const CALLS = 10_000;
const MiB = 1024 * 1024;

/**
 * A full garbage collection on demand. `npm test` starts node without --expose-gc; setting the
 * flag at run time exposes `gc` in contexts created afterwards.
 */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const Cost = suite('metrics() on a running job');

Cost('10,000 calls grow the caller’s heap by less than 2 MB and take well under a millisecond each', async () => {
  const before = resourceCounts();
  const gc = collector();
  // A long job whose records stay in the workers (a discard sink): nothing of it reaches this heap but its metrics.
  const params: SlowSinkParams = { count: Number.MAX_SAFE_INTEGER, burn: 0 };
  const h = await run(fixture('slow-sink'), { parallelism: 1, workers: 1, params });
  try {
    for (let i = 0; i < WARM_UP; i++) await h.metrics();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    let last;
    for (let i = 0; i < CALLS; i++) last = await h.metrics();
    const perCallMs = (performance.now() - start) / CALLS;
    gc();
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;

    assert.is(last!.status, 'running', `expected the job running throughout, got ${last!.status}`);
    assert.ok(last!.operators[0]!.recordsIn > 0, 'expected the metrics of a job that reads records');
    assert.ok(growth < 2 * MiB, `expected the heap to grow by less than 2 MiB over ${CALLS} calls, it grew by ${(growth / MiB).toFixed(2)} MiB`);
    // A sanity bound, generous on a shared 2-core machine: a call reads a few hundred numbers.
    assert.ok(perCallMs < 0.5, `expected under 0.5 ms per call on average, got ${perCallMs.toFixed(3)} ms`);
  } finally {
    await watchdog(h.cancel(), 'cancel of slow-sink', 20_000);
  }
  assertNothingLeft(before, 'after the measured job was cancelled');
});

Cost.run();
