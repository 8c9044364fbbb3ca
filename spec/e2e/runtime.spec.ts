import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError, type JobMetrics } from 'weir';
import { expectedSums, finalSums, type Params as SumParams } from '../fixtures/keyed-sum.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, Runtime, thrownBy, watchdog } from '../helpers.ts';

type Sum = { key: string; value: number };

const threads = (m: JobMetrics): number[] => m.workers.map((w) => w.threadId).sort((a, b) => a - b);

/** Runs keyed-sum on the runtime and checks its totals against the loop. */
async function keyedSum(runtime: Runtime, params: SumParams, parallelism: number, workers?: number): Promise<JobMetrics> {
  const handle = await runtime.run(fixture('keyed-sum'), { parallelism, ...(workers ? { workers } : {}), params });
  const sums = await watchdog(handle.collected<Sum>('sums'), 'keyed-sum on a runtime');
  const result = await handle.done;
  assert.is(result.status, 'finished', 'expected the job to finish');
  assert.equal(Object.fromEntries(finalSums(sums)), Object.fromEntries(expectedSums(params)), 'expected the loop’s totals per key');
  return result.metrics;
}

const Reuse = suite('Runtime: threads kept across jobs');

Reuse('jobs one after another run on the same threads, each with its own correct results', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 2 });
  const first = await keyedSum(runtime, { records: 20_000, keys: 7 }, 2);
  assert.is(new Set(threads(first)).size, 2, `expected the two hosts of a job on two threads, got ${threads(first)}`);
  const second = await keyedSum(runtime, { records: 30_000, keys: 3 }, 3);
  assert.equal(threads(second), threads(first), 'expected the second job on the threads of the first');
  const single = await keyedSum(runtime, { records: 5_000, keys: 5 }, 1, 1);
  assert.ok(threads(first).includes(threads(single)[0]!), 'expected a one-worker job on one of the same threads');
  await runtime.close();
  assertNothingLeft(before, 'after the runtime closed');
});

Reuse('two jobs at once share the runtime, each on threads of its own', async () => {
  const runtime = new Runtime({ workers: 2 });
  const a: SumParams = { records: 30_000, keys: 5 };
  const b: SumParams = { records: 20_000, keys: 9 };
  const [ma, mb] = await Promise.all([keyedSum(runtime, a, 2, 1), keyedSum(runtime, b, 3, 1)]);
  assert.is.not(threads(ma)[0], threads(mb)[0], 'expected the two one-worker jobs on different threads');
  await runtime.close();
});

Reuse('a job that fails leaves the runtime able to run the next one', async () => {
  const runtime = new Runtime({ workers: 2 });
  const failing = await runtime.run(fixture('failing-map'), { params: { count: 1_000, failAt: 500, pad: 1 } });
  const error = await rejectionOf(failing.done, 'failing-map on a runtime');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION', `expected the user function's failure, got ${error.code}: ${error.message}`);
  await keyedSum(runtime, { records: 10_000, keys: 4 }, 2);
  await runtime.close();
});

Reuse('a thread that dies under a job fails that job; the runtime replaces it for the next', async () => {
  const runtime = new Runtime({ workers: 2 });
  const dying = await runtime.run(fixture('worker-exit'), { params: { when: 'record' } });
  const error = await rejectionOf(dying.done, 'worker-exit on a runtime');
  assert.is(error.code, 'WEIR_E_WORKER_DIED', `expected WEIR_E_WORKER_DIED, got ${error.code}: ${error.message}`);
  const next = await keyedSum(runtime, { records: 10_000, keys: 4 }, 2);
  assert.is(new Set(threads(next)).size, 2, 'expected the next job on two live threads');
  await runtime.close();
});

Reuse('a thread that dies fails only the job on it: a job running beside it on the other thread goes on', async () => {
  const runtime = new Runtime({ workers: 2 });
  // Unbounded, so that it is surely running when the other job's thread dies.
  const steady = await runtime.run(fixture('numbers'), { workers: 1, parallelism: 1, params: {} });
  const records = steady.output<{ n: number }>('numbers');
  const next = async (count: number) => {
    for (let i = 0; i < count; i++) assert.not.ok((await records.next()).done, 'expected the steady job to keep emitting');
  };
  await next(1_000);
  const dying = await runtime.run(fixture('worker-exit'), { workers: 1, parallelism: 1, params: { when: 'record' } });
  const error = await rejectionOf(dying.done, 'worker-exit beside another job');
  assert.is(error.code, 'WEIR_E_WORKER_DIED', `expected WEIR_E_WORKER_DIED, got ${error.code}: ${error.message}`);
  assert.match(error.message, /worker thread 0 died/, `expected the dead job's own worker named: ${error.message}`);
  assert.is(steady.status, 'running', 'expected the job beside it still running');
  await watchdog(next(10_000), 'more records from the steady job');
  assert.is((await steady.cancel()).status, 'cancelled');
  await runtime.close();
});

Reuse('a host stuck in user code loses its thread on cancel; the runtime starts a fresh one', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 1 });
  const stuck = await runtime.run(fixture('stuck'));
  const result = await watchdog(stuck.cancel(), 'cancel of a stuck job');
  assert.is(result.status, 'cancelled', 'expected the stuck job to end cancelled');
  await keyedSum(runtime, { records: 10_000, keys: 4 }, 2);
  await runtime.close();
  assertNothingLeft(before, 'after a stuck job and the runtime closed');
});

Reuse.run();

const Limits = suite('Runtime: what it refuses');

Limits('a job that needs more free threads than the runtime has is refused, naming the numbers', async () => {
  const runtime = new Runtime({ workers: 1 });
  const endless = await runtime.run(fixture('numbers'), { params: {} });
  const error = await rejectionOf(runtime.run(fixture('numbers'), { params: { count: 10 } }), 'second job on a busy runtime');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  assert.is(error.code, 'WEIR_E_RUNTIME', `expected WEIR_E_RUNTIME, got ${error.code}: ${error.message}`);
  assert.match(error.message, /needs 1 worker thread, but the runtime has 0 of its 1 free/, `expected the thread counts: ${error.message}`);
  // The running job is untouched, and the thread is free again once it ends.
  assert.is(endless.status, 'running', 'expected the first job to keep running');
  await endless.cancel();
  const next = await runtime.run(fixture('numbers'), { params: { count: 10 } });
  assert.is((await next.collected('numbers')).length, 10, 'expected the next job to run on the freed thread');
  await runtime.close();
});

Limits('close() cancels what still runs, and a closed runtime refuses new jobs', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 2 });
  const endless = await runtime.run(fixture('numbers'), { params: {} });
  await runtime.close();
  const result = await endless.done;
  assert.is(result.status, 'cancelled', 'expected the running job to be cancelled by close()');
  const error = await rejectionOf(runtime.run(fixture('numbers'), { params: { count: 1 } }), 'run on a closed runtime');
  assert.is(error.code, 'WEIR_E_RUNTIME', `expected WEIR_E_RUNTIME, got ${error.code}: ${error.message}`);
  assert.match(error.message, /closed/, `expected the message to say the runtime is closed: ${error.message}`);
  await runtime.close();
  assertNothingLeft(before, 'after close()');
});

Limits('wrong options are refused by name: runtime options, and job options that belong to the runtime', async () => {
  for (const [options, option] of [
    [{ workers: 0 }, 'workers'],
    [{ workerMemoryMb: 1 }, 'workerMemoryMb'],
    [{ wokers: 2 }, 'wokers'],
  ] as const) {
    const error = thrownBy(() => new Runtime(options as never), `new Runtime(${JSON.stringify(options)})`);
    assert.is(error.code, 'WEIR_E_OPTION', `expected WEIR_E_OPTION for ${option}, got ${error.code}`);
    assert.ok(error.message.includes(`"${option}"`), `expected the message to name "${option}": ${error.message}`);
  }
  const runtime = new Runtime({ workers: 1 });
  const tooMany = await rejectionOf(runtime.run(fixture('numbers'), { workers: 2 }), 'workers 2 on a 1-thread runtime');
  assert.match(tooMany.message, /"workers".*at most the runtime's 1 threads/, `expected the runtime's size: ${tooMany.message}`);
  const memory = await rejectionOf(runtime.run(fixture('numbers'), { workerMemoryMb: 64 } as never), 'workerMemoryMb on runtime.run');
  assert.match(memory.message, /new Runtime\(\{ workerMemoryMb \}\)/, `expected the message to say where it belongs: ${memory.message}`);
  await runtime.close();
});

Limits.run();
