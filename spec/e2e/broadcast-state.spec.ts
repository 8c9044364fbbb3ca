/**
 * The broadcast state pattern on real worker threads: every subtask of the connected operator gets
 * every broadcast record and keeps identical broadcast state; keyed records read it. Which of the
 * two inputs' records comes first is not decided, so the job lets trades wait for an event-time
 * timer at their time (by then the watermark says every rule valid at that time has arrived), and
 * gives new keys what `applyToKeyedState` gave the keys already there: the result is then the
 * reference's, whatever the order.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import type { Out, Params } from '../fixtures/broadcast-rules.ts';
import { expected, rules, trades } from '../fixtures/broadcast-reference.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const Broadcast = suite('broadcast state: rules to every subtask, read by keyed records');

let runtime: Runtime;
Broadcast.before(() => void (runtime = new Runtime({ workers: 2 })));
Broadcast.after(() => runtime.close());

Broadcast('alerts as of each trade time, every key given every rule, identical broadcast state on every subtask: equal to the reference at parallelism 1, 2 and 4', async () => {
  await fc.assert(
    fc.asyncProperty(rules, trades, fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), async (rules, trades, parallelism, sources) => {
      const params: Params = { rules, trades, maxOutOfOrderMs: 20, parallelism, processingAt: Date.now() + 3_600_000 };
      const h = await watchdog(runtime.run(fixture('broadcast-rules'), { parallelism: sources, params }), 'start');
      const out = await watchdog(h.collected<Out>('out'), 'broadcast job');
      assertSameMultiset(out, expected(params), `output at p${parallelism} from ${sources} source subtask(s)`);
    }),
    { numRuns: 12 },
  );
});

Broadcast.run();
