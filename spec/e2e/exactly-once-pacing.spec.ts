/**
 * Exactly-once collect output waits in the calling process for the checkpoint that covers it; with
 * periodic checkpoints it counts against the collect bounds (collectCapacity), so a job whose
 * checkpoints are slow is paced by them instead of buffering its output without bound. The job's
 * clock is a ManualClock: checkpoints come only when the test steps it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, type JobHandle, type JobMetrics } from 'weir';

import type { Params } from '../fixtures/paced-collect.ts';
import { fixture, Runtime, stepUntil, watchdog } from '../helpers.ts';

const BATCH = 8;
const CAPACITY = 2;
const COUNT = 400;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Turns of the event loop, the job's clock standing still, until `done`. */
async function turnsUntil(done: () => Promise<boolean>, what: string): Promise<void> {
  await watchdog(
    (async () => {
      while (!(await done())) await turn();
    })(),
    what,
  );
}

const egress = (m: JobMetrics) => m.channels.find((c) => c.kind === 'egress')!;
const read = (m: JobMetrics) => m.operators.find((o) => o.source)!.recordsIn;

const runtime = new Runtime({ workers: 1 });
const Pacing = suite('exactly-once collect output is paced by checkpoints');

async function start(options: { checkpointIntervalMs?: number }): Promise<{ h: JobHandle; numbers: number[]; finish: () => Promise<void>; checkpoints: number[] }> {
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('paced-collect'), { parallelism: 1, workers: 1, clock, batchSize: BATCH, collectCapacity: CAPACITY, ...options, params: { count: COUNT } satisfies Params });
  const numbers: number[] = [];
  const checkpoints: number[] = [];
  h.on('checkpoint', (c) => checkpoints.push(c.id));
  let settled = false;
  h.done.then(() => (settled = true), () => (settled = true));
  const reading = (async () => {
    for await (const n of h.output<number>('numbers')) numbers.push(n);
  })();
  // Steps the clock (50 ms a turn; a periodic checkpoint every 1000 ms) until the job settled, then its output ended.
  const finish = async () => {
    await stepUntil(clock, () => settled, `job ${h.name} settled`);
    await h.done;
    await reading;
  };
  return { h, numbers, finish, checkpoints };
}

Pacing('before the first checkpoint the source reads no more than the collect bounds allow; each checkpoint lets the next records through; all arrive once, in order', async () => {
  const { h, numbers, finish, checkpoints } = await start({ checkpointIntervalMs: 1000 });
  // The clock stands still: no checkpoint, so nothing is committed, and the uncommitted output fills the bounds.
  await turnsUntil(async () => egress(await h.metrics()).inFlight === CAPACITY, 'the collect channel full of uncommitted output');
  const before = read(await h.metrics());
  for (let i = 0; i < 200; i++) await turn();
  const after = read(await h.metrics());
  assert.is(after, before, 'no credit comes back while the output waits for its checkpoint: the source stays stopped');
  assert.ok(after <= (CAPACITY + 2) * BATCH, `read before the first checkpoint: ${after}, at most the collect bounds and a batch on its way, not ${COUNT}`);
  assert.equal(numbers, [], 'nothing is delivered before its checkpoint completes');
  // Each checkpoint commits what came before it; the consumer takes it, and the next records come.
  await finish();
  assert.equal(numbers, Array.from({ length: COUNT }, (_, i) => i), 'every number once, in order');
  // How many records pass per checkpoint after the first depends on timing: from a checkpoint's
  // trigger until its barrier has passed, batches ahead of the barrier get their credit back (else
  // the barrier could never come), and the source reads on meanwhile in real time.
  assert.ok(checkpoints.length >= 2, `paced: ${checkpoints.length} checkpoints for ${COUNT} records, the first of which let at most ~${(CAPACITY + 2) * BATCH} through`);
});

Pacing('without periodic checkpoints nothing would free the credit: the output is buffered until the end, as before', async () => {
  const { numbers, finish } = await start({});
  await finish();
  assert.equal(numbers, Array.from({ length: COUNT }, (_, i) => i));
});

Pacing.after(() => runtime.close());
Pacing.run();
