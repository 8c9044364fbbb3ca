/**
 * A daemon's runtime keeps nothing of the jobs it ran: once a job has ended and its caller dropped
 * its handle, the handle (and the coordinator with its outputs and checkpoints) can be collected. A
 * listener left on a port once kept every finished job alive, about its output's size each.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, Runtime, watchdog } from '../helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const Memory = suite('runtime memory');
const runtime = new Runtime({ workers: 2 });
Memory.after(() => runtime.close());

/** Runs one job to its end and returns only a weak reference to its handle. */
async function runOnce(checkpointed: boolean): Promise<WeakRef<object>> {
  const handle = await runtime.run(fixture('numbers'), { parallelism: 2, params: { count: 2000 }, ...(checkpointed ? { checkpointIntervalMs: 5 } : {}) });
  const out = await handle.collected('numbers');
  await watchdog(handle.done, 'a job on the runtime');
  assert.ok(out.length > 0);
  return new WeakRef(handle);
}

Memory('finished jobs are not kept by the runtime', async () => {
  const refs = [await runOnce(false), await runOnce(true), await runOnce(false)];
  for (let i = 0; i < 5 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  assert.equal(
    refs.map((r) => r.deref() === undefined),
    [true, true, true],
    'every finished job collected',
  );
});

Memory.run();
