/** A worker stuck in user code: metrics() still answers and says where, and cancel takes the thread after its grace. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, systemClock, type JobHandle, type JobMetrics, type WorkerMetrics } from 'weir';
import { assertNothingLeft, fixture, resourceCounts, run, Runtime, watchdog } from '../helpers.ts';

/** metrics() reads shared memory: a hang guard only, far above the microseconds it takes. */
const ANSWER_LIMIT_MS = 2_000;
/** The thread pool's shutdown grace (thread-pool.ts). */
const GRACE_MS = 1_000;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Polls metrics() until a worker is reported stuck, yielding to the event loop between polls: a
 * wait on a condition (the step has run for a second), never on a fixed time. `tick` runs before
 * each poll.
 */
async function whenStuck(h: JobHandle, tick: () => void = () => {}): Promise<{ metrics: JobMetrics; stuck: NonNullable<WorkerMetrics['stuck']> }> {
  return watchdog(
    (async () => {
      for (;;) {
        tick();
        const metrics = await watchdog(h.metrics(), 'metrics() of a stuck job', ANSWER_LIMIT_MS);
        const stuck = metrics.workers.find((w) => w.stuck)?.stuck;
        if (stuck) return { metrics, stuck };
        await turn();
      }
    })(),
    'waiting for metrics() to report the worker stuck',
    20_000,
  );
}

const Stuck = suite('metrics() of a job whose worker is stuck in user code');

Stuck('answers at once, and after a second in one step names the operator and subtask the worker is stuck in', async () => {
  const before = resourceCounts();
  // No chaining: the endless map is an actor of its own, so the step it is stuck in is its alone.
  const h = await run(fixture('stuck'), { parallelism: 1, workers: 1, chaining: false });
  const first = await watchdog(h.metrics(), 'the first metrics() of a stuck job', ANSWER_LIMIT_MS);
  assert.is(first.status, 'running', `expected the stuck job to be running, got ${first.status}`);
  const { metrics, stuck } = await whenStuck(h);
  assert.equal(metrics.workers.length, 1, 'expected one worker');
  assert.is(stuck.operator, 'endless', `expected the worker stuck in "endless", got "${stuck.operator}"`);
  assert.is(stuck.subtask, '1/1', `expected subtask 1/1, got ${stuck.subtask}`);
  assert.ok(stuck.forMs >= 1000, `expected stuck for 1000 ms or more, got ${stuck.forMs}`);
  assert.is(metrics.status, 'running', `expected the job still running, got ${metrics.status}`);
  const result = await watchdog(h.cancel(), 'cancel of the stuck job', 20_000);
  assert.is(result.status, 'cancelled', `expected the stuck job cancelled, got ${result.status}`);
  assertNothingLeft(before, 'after a stuck job was cancelled');
});

Stuck('with chaining, the worker is reported stuck in the chain the operator is fused into', async () => {
  const before = resourceCounts();
  const h = await run(fixture('stuck'), { parallelism: 1, workers: 1 });
  const { metrics, stuck } = await whenStuck(h);
  const chain = metrics.operators[0]!.name;
  assert.is(metrics.operators.length, 1, `expected one chain, got ${metrics.operators.map((o) => o.name).join(', ')}`);
  assert.is(stuck.operator, chain, `expected the stuck operator to be the chain "${chain}", got "${stuck.operator}"`);
  assert.ok(stuck.operator.includes('endless'), `expected the chain to name "endless": ${stuck.operator}`);
  assert.is(stuck.subtask, '1/1', `expected subtask 1/1, got ${stuck.subtask}`);
  await watchdog(h.cancel(), 'cancel of the stuck job', 20_000);
  assertNothingLeft(before, 'after a stuck chain was cancelled');
});

Stuck.run();

const Cancel = suite('cancel of a job whose worker never returns');

Cancel('waits out the shutdown grace on the runtime’s clock, then takes the thread; the next job runs', async () => {
  const before = resourceCounts();
  // On the workers' time line (they time their steps with the system clock), so that metrics() can tell when the worker is stuck.
  const clock = new ManualClock(systemClock.now());
  const runtime = new Runtime({ workers: 1, clock });
  try {
    const h = await runtime.run(fixture('stuck'));
    // Until the cancel the clock follows real time, only to see the worker inside its endless step;
    // from the cancel on, it moves only when the test advances it.
    await whenStuck(h, () => clock.advance(Math.max(0, systemClock.now() - clock.now())));

    let cancelled = false;
    const cancelling = h.cancel().finally(() => (cancelled = true));
    assert.is(h.status, 'cancelling', `expected the job cancelling, got ${h.status}`);
    assert.is(clock.pending, 1, `expected one timer on the clock, the shutdown grace; got ${clock.pending}`);
    clock.advance(GRACE_MS - 1);
    for (let i = 0; i < 20; i++) await turn();
    assert.not.ok(cancelled, `expected cancel() still pending ${GRACE_MS - 1} ms into the grace`);
    assert.is(h.status, 'cancelling', `expected the job still cancelling ${GRACE_MS - 1} ms into the grace, got ${h.status}`);
    assert.is(clock.pending, 1, 'expected the grace timer still set');

    clock.advance(1);
    // The thread is terminated now: real time, but no clock time.
    const result = await watchdog(cancelling, 'cancel() once the grace ended', 20_000);
    assert.is(result.status, 'cancelled', `expected the job cancelled, got ${result.status}`);
    assert.is(clock.pending, 0, `expected no timer left on the clock, got ${clock.pending}`);

    const next = await watchdog(runtime.run(fixture('numbers'), { params: { count: 1_000 } }), 'run() after the stuck job');
    const out = await watchdog(next.collected('numbers'), 'collected() of the next job');
    assert.is(out.length, 1_000, `expected the next job to deliver 1000 records, got ${out.length}`);
    assert.is((await watchdog(next.done, 'done of the next job')).status, 'finished', 'expected the next job to finish');
  } finally {
    await runtime.close();
  }
  assertNothingLeft(before, 'after the stuck job, the next one and the runtime closed');
});

Cancel.run();
