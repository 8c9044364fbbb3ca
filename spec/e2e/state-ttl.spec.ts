/**
 * State time-to-live in a running job: expired entries are reclaimed while the job runs, a little
 * at a time, and the keys metric shows it; the job's clock is a ManualClock the test moves.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from 'weir';
import type { Params } from '../fixtures/ttl.ts';
import { advanceUntil, fixture, Runtime, watchdog } from '../helpers.ts';

const Ttl = suite('keyed state ttl in a running job');

Ttl('entries older than the ttl are swept while the job runs: the keys metric falls to zero', async () => {
  const clock = new ManualClock(0);
  const runtime = new Runtime({ workers: 2, clock });
  const params: Params = { keys: 400, ttlMs: 10_000 };
  const h = await runtime.run(fixture('ttl'), { parallelism: 2, batchSize: 1, watermarkIntervalMs: 200, params });
  const seen: { key: number; seenBefore: boolean }[] = [];
  void (async () => {
    for await (const r of h.output<{ key: number; seenBefore: boolean }>('seen')) seen.push(r);
  })();
  const keys = async () => (await h.metrics()).operators.find((o) => o.name.startsWith('process'))!.keys;
  // With batches of one record nothing waits for the clock: every key is stored while it stands still.
  await watchdog(
    (async () => {
      while (seen.length < params.keys || (await keys()) < params.keys) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'every key stored',
  );
  assert.is(clock.now(), 0);
  assert.ok(seen.every((r) => !r.seenBefore), 'each key once');
  await advanceUntil(
    clock,
    async () => {
      const held = await keys();
      if (clock.now() < params.ttlMs) assert.is(held, params.keys, `expected every key kept before the ttl passed, at ${clock.now()} ms`);
      return held === 0;
    },
    'the keys swept after the ttl',
  );
  assert.is((await h.cancel()).status, 'cancelled');
  await runtime.close();
});

Ttl.run();
