/**
 * Results never depend on placement: records handed between subtasks behave as if copied, so an
 * operator that changes its input gets the same results whether its neighbours run on its thread
 * or another, chained or not, through a broadcast or a stream read twice.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expected, type Item, type Params, type Step } from '../fixtures/mutating.ts';
import { assertNothingLeft, assertSameMultiset, fixture, resourceCounts, Runtime, watchdog } from '../helpers.ts';

const PLACEMENTS = [
  { workers: 1, chaining: true },
  { workers: 1, chaining: false },
  { workers: 2, chaining: true },
  { workers: 2, chaining: false },
] as const;

const Placement = suite('results never depend on placement');

let runtime: Runtime;
let before: Record<string, number>;
Placement.before(() => {
  before = resourceCounts();
  runtime = new Runtime({ workers: 2 });
});
Placement.after(async () => {
  await runtime.close();
  assertNothingLeft(before, 'after the placement runs');
});

async function results(params: Params, placement: (typeof PLACEMENTS)[number]): Promise<Item[]> {
  const h = await runtime.run(fixture('mutating'), { parallelism: 2, ...placement, checkRecords: true, params });
  return watchdog(h.collected<Item>('out'), `mutating job ${JSON.stringify(placement)} ${params.steps.join(',')}`);
}

Placement('a broadcast into an operator that changes its input: v 101 on every thread, never 201', async () => {
  const params: Params = { items: [{ k: 0, v: 94, trail: '' }], steps: ['broadcast'] };
  for (const placement of PLACEMENTS) {
    assertSameMultiset(await results(params, placement), expected(params), `broadcast ${JSON.stringify(placement)}`);
  }
});

Placement('any job of mutating operators gives the plain reference result with 1 and 2 workers, chained or not', async () => {
  const item = fc.record({ k: fc.integer({ min: 0, max: 4 }), v: fc.integer({ min: -1000, max: 1000 }), trail: fc.constant('') });
  const step = fc.constantFrom<Step>('increment', 'scale', 'broadcast', 'fork', 'rebalance', 'keyed');
  await fc.assert(
    fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 40 }), fc.array(step, { minLength: 1, maxLength: 4 }), async (items, steps) => {
      const params: Params = { items, steps };
      const reference = expected(params);
      for (const placement of PLACEMENTS) {
        assertSameMultiset(await results(params, placement), reference, `steps ${steps.join(' → ')} at ${JSON.stringify(placement)}`);
      }
    }),
    { numRuns: 12 },
  );
});

Placement.run();
