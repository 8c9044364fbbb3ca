/**
 * Checkpoints after some sources finished (Flink's finished tasks), and the state of joins,
 * distinct, co-process functions, operator lists and broadcast maps through a checkpoint: source a
 * reads to its end and finishes, source b pauses at a random record; a checkpoint is taken then
 * (it completes: a is recorded finished), the job is cancelled and restored at another parallelism
 * without the pause. The results of both runs together equal a brute-force reference, and a's
 * close() output (its counter) comes once: the restored run starts a finished.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, type CompletedCheckpoint, type JobHandle } from 'weir';
import type { Kind, Out, Params, Rec } from '../fixtures/restorable.ts';
import { advanceUntil, assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';
import { expectedOut, flatBuffers, MAX_OUT_OF_ORDER, recordsArb } from '../restorable-reference.ts';

const Finished = suite('checkpoints after some sources finished');
const runtime = new Runtime({ workers: 3 });
Finished.after(() => runtime.close());

type Close = { source: string; n: number };

/** Waits until the `closes` output shows `source`'s counter: that source's chain has finished. */
async function closedOf(h: JobHandle, source: string): Promise<Close[]> {
  const seen: Close[] = [];
  const it = h.output<Close>('closes');
  await watchdog(
    (async () => {
      for await (const c of it) {
        seen.push(c);
        if (c.source === source) return;
      }
    })(),
    `source ${source} finished`,
  );
  return seen;
}

/** A finished source: its offset at its end, recorded finished. */
function assertFinished(checkpoint: CompletedCheckpoint, source: string, length: number): void {
  const saved = checkpoint.operators[`uid:${source}`]!.subtasks[0]!;
  assert.ok(saved.kind === 'source' && saved.finished === true && saved.offset === length, `source ${source} recorded finished at ${length}: ${JSON.stringify(saved)}`);
}

const kindsArb = fc.constantFrom<Kind>('join', 'interval', 'distinct', 'co-process', 'lists');

Finished('a checkpoint taken after source a finished completes, and a restore at another parallelism ends with the reference results; a is not run again', async () => {
  await fc.assert(
    // Without chaining, a's counter is an actor of its own, restored finished behind the finished source.
    fc.asyncProperty(kindsArb, recordsArb(0, 1, 15), recordsArb(1000, 5, 40), fc.nat(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), async (kind, a, b, pause, before, after, chaining) => {
      const pauseB = pause % b.length;
      const base = { kind, a, b, maxOutOfOrderMs: MAX_OUT_OF_ORDER, delivery: 'exactly-once' } as const;
      const first = await runtime.run(fixture('restorable'), { chaining, workers: Math.min(3, before), batchSize: 4, params: { ...base, parallelism: before, pauseB } satisfies Params });
      const firstOut = first.collected<Out>('out');
      const closesBefore = await closedOf(first, 'a');
      const checkpoint = await watchdog(first.checkpoint(), 'the checkpoint after a finished');
      assertFinished(checkpoint, 'a', a.length);
      await first.cancel();
      const committed = await firstOut;
      const second = await runtime.run(fixture('restorable'), { chaining, workers: Math.min(3, after), batchSize: 4, restoreFrom: checkpoint, params: { ...base, parallelism: after } satisfies Params });
      const [rest, closesAfter] = await watchdog(Promise.all([second.collected<Out>('out'), second.collected<Close>('closes')]), 'the restored run');
      const what = `${kind} at p${before} then p${after}, b paused at ${pauseB}${chaining ? '' : ', no chaining'}`;
      assertSameMultiset([...closesBefore, ...closesAfter], [{ source: 'a', n: a.length }, { source: 'b', n: b.length }], `each source's close() output once (${what})`);
      if (kind === 'lists') assert.is(rest.length, after, `a list buffer per subtask of the restored run (${what})`);
      assertSameMultiset(flatBuffers([...committed, ...rest]), expectedOut(kind, a, b), `committed output of the first run and the restored run (${what})`);
    }),
    { numRuns: 15 },
  );
});

Finished('broadcast state restored at another parallelism: every subtask has all of it', async () => {
  await fc.assert(
    fc.asyncProperty(recordsArb(0, 1, 20), recordsArb(1000, 1, 10), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), async (a, b, before, after) => {
      // a (the elements) waits; b (the rules) is read to its end and finishes before the checkpoint.
      const base = { kind: 'broadcast', a, b, maxOutOfOrderMs: MAX_OUT_OF_ORDER, delivery: 'at-least-once' } as const;
      const first = await runtime.run(fixture('restorable'), { workers: Math.min(3, before), params: { ...base, parallelism: before, pauseA: 0 } satisfies Params });
      const firstOut = first.collected<Out>('out');
      await closedOf(first, 'b');
      const checkpoint = await watchdog(first.checkpoint(), 'the checkpoint after b finished');
      assertFinished(checkpoint, 'b', b.length);
      const op = checkpoint.operators['uid:op']!;
      assert.is(op.subtasks.length, before);
      for (const s of op.subtasks) assert.ok(s.kind === 'stage' && s.stage.operatorState !== undefined, `broadcast maps in every subtask's snapshot: ${JSON.stringify(s)}`);
      await first.cancel();
      assert.equal(await firstOut, []);
      const second = await runtime.run(fixture('restorable'), { workers: Math.min(3, after), restoreFrom: checkpoint, params: { ...base, parallelism: after } satisfies Params });
      const rest = await watchdog(second.collected<Out>('out'), 'the restored run');
      assertSameMultiset(rest, expectedOut('broadcast', a, b), `lookups at p${after} after p${before}`);
    }),
    { numRuns: 8 },
  );
});

Finished('periodic checkpoints go on after a source finished', async () => {
  const a: Rec[] = Array.from({ length: 5 }, (_, i) => ({ id: i, key: `k${i % 2}`, ts: i, v: i }));
  const b: Rec[] = Array.from({ length: 30 }, (_, i) => ({ id: 1000 + i, key: `k${i % 3}`, ts: i, v: i }));
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('restorable'), {
    workers: 2,
    clock,
    checkpointIntervalMs: 10,
    params: { kind: 'interval', a, b, pauseB: 20, parallelism: 2, maxOutOfOrderMs: 0, delivery: 'exactly-once' } satisfies Params,
  });
  const out = h.collected<Out>('out');
  // The clock moves the buffer timeouts on (a's counter goes out in a batch that is not full).
  let aFinished = false;
  void closedOf(h, 'a').then(() => (aFinished = true));
  await advanceUntil(clock, () => aFinished, 'a finished');
  const completed: number[] = [];
  h.on('checkpoint', (s) => completed.push(s.id));
  await advanceUntil(clock, () => completed.length >= 2, 'two checkpoints after a finished');
  const last = h.checkpoints().at(-1)!;
  assertFinished(last, 'a', a.length);
  await h.cancel();
  // What the checkpoints committed: every pair of the records read before b paused.
  assertSameMultiset(await out, expectedOut('interval', a, b.slice(0, 20)), 'the committed pairs');
});

Finished.run();
