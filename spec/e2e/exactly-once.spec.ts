/**
 * Exactly-once collect sinks: records reach the caller only once the checkpoint that covers them
 * completed, so that a job checkpointed at a random point, cancelled and restored from that
 * checkpoint (at another parallelism) delivers, over both runs, exactly the output of a straight
 * run: the first run's committed records and the restored run's records together equal the
 * brute-force reference, nothing twice, nothing lost.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompletedCheckpoint, JobHandle } from 'weir';
import type { Kind, Out, Params, Rec } from '../fixtures/restorable.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';
import { expectedOut, MAX_OUT_OF_ORDER, recordsArb } from '../restorable-reference.ts';

const ExactlyOnce = suite('exactly-once collect');
const runtime = new Runtime({ workers: 3 });
ExactlyOnce.after(() => runtime.close());

/** Runs where `out` records came after the checkpoint in the first run (held back, then dropped by the cancel). */
let uncommittedRuns = 0;

/** Reads both tick outputs at the test's pace (their credit holds the sources back); calls `at` after `n` ticks. */
function readTicks(h: JobHandle, n: number, at: () => void): { readonly read: number } {
  const state = { read: 0 };
  for (const name of ['ticks-a', 'ticks-b']) {
    void (async () => {
      for await (const _ of h.output<number>(name)) if (++state.read === n) at();
    })().catch(() => {});
  }
  return state;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

ExactlyOnce('a keyed job checkpointed at a random point and restored at another parallelism: committed output of both runs equals the straight run', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Kind>('join', 'interval', 'distinct', 'co-process'),
      recordsArb(0, 10, 40),
      recordsArb(1000, 20, 60),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      async (kind, a, b, pause, at, before, after) => {
        await restoredRun(kind, a, b, pause, at, before, after);
      },
    ),
    { numRuns: 16 },
  );
  async function restoredRun(kind: Kind, a: Rec[], b: Rec[], pause: number, at: number, before: number, after: number): Promise<void> {
        // b pauses, so the first run never ends by itself (its end would commit everything).
        const pauseB = 1 + (pause % (b.length - 1));
        const atTick = at % (a.length + pauseB);
        const base = { kind, a, b, maxOutOfOrderMs: MAX_OUT_OF_ORDER, delivery: 'exactly-once', ticks: true, mirror: true } as const;
        // Batches leave at once (a buffer timeout of 0): records after the checkpoint reach the sinks soon.
        const options = { batchSize: 2, mailboxCapacity: 1, collectCapacity: 1, bufferTimeoutMs: 0 };
        const first = await runtime.run(fixture('restorable'), { ...options, workers: Math.min(3, before), params: { ...base, parallelism: before, pauseB } satisfies Params });
        const committed = first.collected<Out>('out');
        first.collected('closes').catch(() => {});
        let mirrored = 0;
        void (async () => {
          for await (const _ of first.output('mirror')) mirrored++;
        })().catch(() => {});
        let checkpoint: Promise<CompletedCheckpoint> | undefined;
        const ticks = readTicks(first, atTick + 1, () => {
          checkpoint = first.checkpoint();
        });
        await watchdog(
          (async () => {
            while (!checkpoint) await new Promise((resolve) => setImmediate(resolve));
          })(),
          'the checkpoint triggered',
        );
        const taken = await watchdog(checkpoint!, 'the checkpoint');
        // Every record before the barrier has reached the mirror. The sources read on up to their pause
        // (what reaches `out` now is held back), then the run is cancelled. Joins on intervals and
        // distinct emit as records come: all their output of what was read reaches the mirror first.
        const settled = kind === 'interval' || kind === 'distinct' ? expectedOut(kind, a, b.slice(0, pauseB)).length : 0;
        await watchdog(
          (async () => {
            while (ticks.read < a.length + pauseB || mirrored < settled) await turn();
          })(),
          'the first run read up to its pause',
        );
        for (let i = 0; i < 50; i++) await turn();
        await first.cancel();
        const firstOut = await committed;
        // The mirror got every record at once: more there than committed means some were held back, then dropped.
        if (mirrored > firstOut.length) uncommittedRuns++;
        const second = await runtime.run(fixture('restorable'), { ...options, workers: Math.min(3, after), restoreFrom: taken, params: { ...base, parallelism: after } satisfies Params });
        second.collected('ticks-a').catch(() => {});
        second.collected('ticks-b').catch(() => {});
        second.collected('closes').catch(() => {});
        second.collected('mirror').catch(() => {});
        const rest = await watchdog(second.collected<Out>('out'), 'the restored run');
        assertSameMultiset([...firstOut, ...rest], expectedOut(kind, a, b), `${kind}: committed output of p${before} (checkpoint at tick ${atTick}) and the restored p${after}`);
  }
  console.log(`  (${uncommittedRuns} of 16 runs had output after their checkpoint, not committed)`);
});

ExactlyOnce('records wait for the checkpoint that covers them; without one, for the end', async () => {
  const a = [0, 1, 2, 3].map((i) => ({ id: i, key: `k${i}`, ts: i, v: i }));
  const b = [0, 1, 2, 3, 4, 5].map((i) => ({ id: 1000 + i, key: `k${i % 3}`, ts: i, v: i }));
  const h = await runtime.run(fixture('restorable'), { workers: 2, params: { kind: 'distinct', a, b, pauseA: 2, pauseB: 4, parallelism: 2, maxOutOfOrderMs: 0, delivery: 'exactly-once', ticks: true } satisfies Params });
  h.collected('closes').catch(() => {});
  let ticks = 0;
  for (const name of ['ticks-a', 'ticks-b']) void (async () => { for await (const _ of h.output(name)) ticks++; })().catch(() => {});
  const got: Out[] = [];
  void (async () => { for await (const o of h.output<Out>('out')) got.push(o); })().catch(() => {});
  await watchdog((async () => { while (ticks < 6) await new Promise((resolve) => setImmediate(resolve)); })(), 'the sources read up to their pause');
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got, [], 'nothing delivered before a checkpoint completed');
  await watchdog(h.checkpoint(), 'the checkpoint');
  await watchdog((async () => { while (got.length < 3) await new Promise((resolve) => setImmediate(resolve)); })(), 'the committed keys');
  assertSameMultiset(got, expectedOut('distinct', a.slice(0, 2), b.slice(0, 4)), 'the keys of the records before the checkpoint');
  await h.cancel();

  // Without checkpoints a bounded job delivers everything at its end.
  const straight = await runtime.run(fixture('restorable'), { workers: 2, params: { kind: 'distinct', a, b, parallelism: 2, maxOutOfOrderMs: 0, delivery: 'exactly-once' } satisfies Params });
  assertSameMultiset(await watchdog(straight.collected<Out>('out'), 'the straight run'), expectedOut('distinct', a, b), 'everything at the end');
});

ExactlyOnce('the delivery option is checked', async () => {
  const { sinks } = await import('weir');
  assert.throws(() => sinks.collect('x', { delivery: 'twice' as never }), /collect\("x"\) delivery/);
});

ExactlyOnce.run();
