import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectedSums, finalSums, type Params as SumParams } from '../fixtures/keyed-sum.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, run, watchdog } from '../helpers.ts';

const Concurrent = suite('concurrent jobs in one process');

Concurrent('two jobs started together each produce their own correct results', async () => {
  const before = resourceCounts();
  const a: SumParams = { records: 50_000, keys: 7 };
  const b: SumParams = { records: 30_000, keys: 3 };
  // Both run() calls are in flight before either job has started.
  const [ha, hb] = await Promise.all([
    run(fixture('keyed-sum'), { parallelism: 2, workers: 1, batchSize: 512, params: a }),
    run(fixture('keyed-sum'), { parallelism: 3, workers: 1, batchSize: 512, params: b }),
  ]);
  assert.is.not(ha, hb, 'expected two handles');
  const [outA, outB] = await watchdog(Promise.all([ha.collected<{ key: string; value: number }>('sums'), hb.collected<{ key: string; value: number }>('sums')]), 'two keyed-sum jobs');
  const [ra, rb] = await Promise.all([ha.done, hb.done]);
  assert.is(ra.status, 'finished', 'expected job A to finish');
  assert.is(rb.status, 'finished', 'expected job B to finish');

  assert.is(outA.length, a.records, `expected job A to emit ${a.records} rolling sums, got ${outA.length}`);
  assert.is(outB.length, b.records, `expected job B to emit ${b.records} rolling sums, got ${outB.length}`);
  assert.equal(Object.fromEntries(finalSums(outA)), Object.fromEntries(expectedSums(a)), 'expected job A to have its own per-key totals (7 keys)');
  assert.equal(Object.fromEntries(finalSums(outB)), Object.fromEntries(expectedSums(b)), 'expected job B to have its own per-key totals (3 keys)');
  assert.is(ra.metrics.operators[0]!.parallelism, 2, "expected job A's metrics to be its own");
  assert.is(rb.metrics.operators[0]!.parallelism, 3, "expected job B's metrics to be its own");
  assertNothingLeft(before, 'after two concurrent jobs');
});

Concurrent('a failing job does not disturb a job running beside it', async () => {
  const [good, bad] = await Promise.all([
    run(fixture('numbers'), { parallelism: 2, workers: 1, params: { count: 20_000 } }),
    run(fixture('failing-map'), { parallelism: 1, workers: 1, params: { failAt: 10, pad: 0 } }),
  ]);
  const failure = rejectionOf(bad.done, 'done of failing-map');
  const out = await watchdog(good.collected<{ n: number; square: number }>('numbers'), 'numbers beside a failing job');
  assert.is((await failure).code, 'WEIR_E_USER_FUNCTION', 'expected the other job to fail with its own error');
  assert.is((await good.done).status, 'finished', 'expected the good job to finish');
  assert.is(out.length, 20_000, 'expected every record of the good job');
  const ns = out.map((r) => r.n).sort((x, y) => x - y);
  assert.ok(ns.every((n, i) => n === i), 'expected exactly the numbers 0..19999');
  assert.ok(out.every((r) => r.square === r.n * r.n), 'expected each record to be computed by the good job');
});

Concurrent.run();
