import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from 'weir';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, run } from '../helpers.ts';

const Mismatch = suite('a graph that differs between threads is refused');

for (const [variant, workers, difference] of [
  ['extra-map', 2, /operator #1/],
  ['parallelism', 1, /p=1[\s\S]*p=2/],
] as const) {
  Mismatch(`variant ${variant}: run() rejects with WEIR_E_GRAPH_MISMATCH, explains why, and leaves nothing running`, async () => {
    const before = resourceCounts();
    const error = await rejectionOf(run(fixture('thread-dependent'), { parallelism: 1, workers, params: { variant } }), `run(thread-dependent ${variant})`);
    assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
    assert.is(error.code, 'WEIR_E_GRAPH_MISMATCH', `expected WEIR_E_GRAPH_MISMATCH, got ${error.code}: ${error.message}`);
    assert.ok(error.message.includes('"thread-dependent"'), `expected the message to name the job: ${error.message}`);
    assert.match(error.message, /Math\.random\(\)/, `expected the message to mention Math.random(): ${error.message}`);
    assert.match(error.message, /clock/, `expected the message to mention the clock: ${error.message}`);
    assert.match(error.message, /params/, `expected the message to point to params: ${error.message}`);
    assert.match(error.message, /deterministic/, `expected the message to say build() must be deterministic: ${error.message}`);
    assert.match(error.message, difference, `expected the message to show where the graphs differ: ${error.message}`);
    assertNothingLeft(before, `after the ${variant} mismatch`);
  });
}

Mismatch('a deterministic job from the same module still runs afterwards', async () => {
  // The same module, built the same in every thread when the variant does not apply.
  const h = await run(fixture('numbers'), { parallelism: 1, workers: 1, params: { count: 10 } });
  assert.is((await h.collected('numbers')).length, 10, 'expected a later job to run normally');
  await h.done;
});

Mismatch.run();
