/** A runtime whose job failed under a reader of its output runs the next job at once, every time. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type JobHandle } from 'weir';
import type { Params as FailingParams } from '../fixtures/failing-map.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, Runtime, watchdog } from '../helpers.ts';

const ROUNDS = 10;
/** The failing job and the next one both take every thread of the runtime. */
const WORKERS = 2;
const FAILING: FailingParams = { count: 10_000, failAt: 5_000, pad: 1 };
const NEXT_COUNT = 1_000;

/** Runs `numbers` on the runtime right after a failure, and checks it starts, delivers everything and finishes. */
async function nextJobRuns(runtime: Runtime, round: number): Promise<void> {
  const next = await watchdog(runtime.run(fixture('numbers'), { workers: WORKERS, params: { count: NEXT_COUNT } }), `round ${round}: run() after the failure`);
  const out = await watchdog(next.collected<{ n: number }>('numbers'), `round ${round}: collected() of the next job`);
  assert.is(out.length, NEXT_COUNT, `round ${round}: expected the next job to deliver ${NEXT_COUNT} records, got ${out.length}`);
  const result = await watchdog(next.done, `round ${round}: done of the next job`);
  assert.is(result.status, 'finished', `round ${round}: expected the next job to finish, got ${result.status}`);
}

/** Fails failing-map on the runtime `ROUNDS` times, each time seeing the failure through `read`, then runs the next job. */
async function failThenRun(read: (h: JobHandle) => Promise<unknown>, how: string): Promise<void> {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: WORKERS });
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const failing = await runtime.run(fixture('failing-map'), { workers: WORKERS, params: FAILING });
      const error = await rejectionOf(read(failing), `round ${round}: ${how} of failing-map`);
      assert.is(error.code, 'WEIR_E_USER_FUNCTION', `round ${round}: expected ${how} to fail with WEIR_E_USER_FUNCTION, got ${error.code}: ${error.message}`);
      assert.is(failing.status, 'failed', `round ${round}: expected the job to have failed once ${how} threw, got ${failing.status}`);
      await nextJobRuns(runtime, round);
    }
  } finally {
    await runtime.close();
  }
  assertNothingLeft(before, `after ${ROUNDS} failures seen through ${how} and the runtime closed`);
}

const Recovery = suite('the runtime after a failure its reader saw');

Recovery('after collected() rejects, the next run on the same runtime starts and finishes, ten times over', async () => {
  await failThenRun((h) => h.collected('parsed'), 'collected()');
});

Recovery('after for await over output() throws, the next run on the same runtime starts and finishes, ten times over', async () => {
  await failThenRun(async (h) => {
    let records = 0;
    for await (const _ of h.output('parsed')) records++;
    return records;
  }, 'for await over output()');
});

Recovery.run();
