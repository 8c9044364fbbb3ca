/**
 * Operator state on real worker threads: lists that belong to a subtask, in operators on streams
 * that are not keyed (co-process functions and user operators), and broadcast records that reach
 * every subtask of a broadcast process function on a stream that is not keyed.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Buffer, Params, Seen } from '../fixtures/operator-state.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const OperatorState = suite('operator state: a list per subtask, broadcast records to every subtask');

let runtime: Runtime;
OperatorState.before(() => void (runtime = new Runtime({ workers: 2 })));
OperatorState.after(() => runtime.close());

OperatorState('each subtask has its own list: counts run 1..n per subtask, every record is kept once, every broadcast record reaches every subtask', async () => {
  const numbers = fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 40 });
  await fc.assert(
    fc.asyncProperty(numbers, numbers, fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), async (a, b, parallelism, sources) => {
      const h = await watchdog(runtime.run(fixture('operator-state'), { parallelism: sources, params: { a, b, parallelism } satisfies Params }), 'start');
      const [seen, buffers, echoes] = await watchdog(Promise.all([h.collected<Seen>('seen'), h.collected<Buffer>('buffers'), h.collected<number>('echoes')]), 'operator-state job');
      const what = `at p${parallelism} from ${sources} source subtask(s)`;
      assertSameMultiset(
        seen.map((s) => [s.input, s.value]),
        [...a.map((v) => [1, v]), ...b.map((v) => [2, v])],
        `the records the co-process function saw ${what}`,
      );
      for (let subtask = 0; subtask < parallelism; subtask++) {
        const counts = seen.filter((s) => s.subtask === subtask).map((s) => s.count).sort((x, y) => x - y);
        assert.equal(counts, counts.map((_, i) => i + 1), `the list sizes of subtask ${subtask} ${what}`);
      }
      assert.equal(buffers.map((x) => x.subtask).sort(), Array.from({ length: parallelism }, (_, i) => i), `one buffer per subtask ${what}`);
      assertSameMultiset(buffers.flatMap((x) => x.values), a, `the records kept in the buffers ${what}`);
      assertSameMultiset(echoes, Array.from({ length: parallelism }, () => b).flat(), `each broadcast record once per subtask ${what}`);
    }),
    { numRuns: 10 },
  );
});

OperatorState.run();
