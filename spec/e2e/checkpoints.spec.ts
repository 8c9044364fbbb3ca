/**
 * Checkpoints in running jobs: a job paused at a random record is checkpointed, cancelled, and
 * restored at another parallelism; it then runs to the end, and its results (a function of the final
 * keyed state, and every window) equal a brute-force reference written plainly here. Then:
 * checkpoints taken every few milliseconds do not change results, a checkpoint not complete in time
 * is abandoned, and a checkpoint that does not fit the job is refused.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, type CompletedCheckpoint, type JobHandle } from 'weir';

import { WINDOW, type Params, type Rec, type Summary, type WindowResult } from '../fixtures/checkpointed.ts';
import type { Params as SplitParams, Sum as SplitSum } from '../fixtures/split-sums.ts';
import { advanceUntil, assertSameMultiset, disordered, fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';

const MAX_OUT_OF_ORDER = 4;

/** The reference: per key its sum, sorted values and fired timer times (one per key and ts + 5); every window. */
function expected(records: Rec[]): { summaries: Summary[]; windows: WindowResult[] } {
  const byKey = new Map<string, Rec[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const summaries: Summary[] = [];
  const windows: WindowResult[] = [];
  for (const [key, rs] of byKey) {
    const timers = new Set(rs.map((r) => r.ts + 5));
    summaries.push({ key, sum: rs.reduce((s, r) => s + r.v, 0), values: rs.map((r) => r.v).sort((a, b) => a - b), fired: [...timers].reduce((s, t) => s + t, 0) });
    const byWindow = new Map<number, Rec[]>();
    for (const r of rs) {
      const start = Math.floor(r.ts / WINDOW) * WINDOW;
      byWindow.set(start, [...(byWindow.get(start) ?? []), r]);
    }
    for (const [start, ws] of byWindow) windows.push({ key, start, n: ws.length, sum: ws.reduce((s, r) => s + r.v, 0) });
  }
  return { summaries, windows };
}

const recordsOf = (minLength: number) => fc
  .array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), step: fc.integer({ min: 0, max: 6 }), v: fc.integer({ min: 0, max: 100 }), jitter: fc.integer({ min: 0, max: MAX_OUT_OF_ORDER }) }), {
    minLength,
    maxLength: 60,
  })
  .map((rows) => {
    let t = 0;
    return disordered(rows.map((r) => ({ key: r.key, ts: (t += r.step), v: r.v, jitter: r.jitter })), (r) => r.ts + r.jitter).map(({ key, ts, v }) => ({ key, ts, v }));
  });
const recordsArb = recordsOf(1);
/**
 * Long enough that the paced sources still read when the first checkpoints come: a checkpoint
 * triggered after every source finished, while operators still emit their last records, gets no
 * barrier to them and is abandoned at the job's end.
 */
const longRecordsArb = recordsOf(30);

/**
 * Steps the job's clock until it finished; resolves with its outputs. `paced`: the ticks output (a
 * record per source record) is read one record per clock step, so that the job runs over many
 * steps and periodic checkpoints come while its sources read.
 */
async function runToEnd(h: JobHandle, clock: ManualClock, paced = false): Promise<{ summaries: Summary[]; windows: WindowResult[]; counted: number }> {
  const summaries = h.collected<Summary>('summaries');
  const windows = h.collected<WindowResult>('windows');
  const counts = h.collected<number>('counts');
  let finished = false;
  h.done.then(() => (finished = true), () => (finished = true));
  let permit: (() => void) | undefined;
  const permits = { given: 0, taken: 0 };
  if (paced) {
    void (async () => {
      for await (const _ of h.output<number>('ticks')) {
        if (++permits.taken > permits.given) await new Promise<void>((resolve) => (permit = resolve));
      }
    })();
  } else h.collected<number>('ticks').catch(() => {});
  await advanceUntil(
    clock,
    () => {
      permits.given++;
      permit?.();
      permit = undefined;
      return finished;
    },
    'the job finished',
  );
  return { summaries: await summaries, windows: await windows, counted: (await counts).reduce((a, b) => a + b, 0) };
}

const Checkpoints = suite('checkpoints in running jobs');
/** Runs of the restore property in which windows fired before the checkpoint (so fired windows were not restored). */
let firedBefore = 0;
/** Checkpoints completed over the runs of the periodic property. */
let completedInAll = 0;
const runtime = new Runtime({ workers: 3 });

Checkpoints('a job checkpointed while paused at a random record and restored at parallelism 1, 2 or 3 ends with the results of a straight run', async () => {
  await fc.assert(
    fc.asyncProperty(
      recordsArb,
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 4 }),
      async (records, pause, before, after, steps) => {
        const pauseAt = Math.min(pause, records.length);
        const base = { records, sourceParallelism: 1, maxOutOfOrderMs: MAX_OUT_OF_ORDER };
        const clock = new ManualClock(0);
        const first = await runtime.run(fixture('checkpointed'), { parallelism: before, workers: before, clock, batchSize: 4, watermarkIntervalMs: 50, params: { ...base, pauseAt, keyedParallelism: before } satisfies Params });
        const firstWindows = first.collected<WindowResult>('windows');
        const firstSummaries = first.collected<Summary>('summaries');
        const firstCounts = first.collected<number>('counts');
        first.collected<number>('ticks').catch(() => {});
        // Some event time passes (periodic watermarks fire windows and timers), then the checkpoint.
        for (let s = 0; s < steps; s++) {
          clock.advance(50);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const checkpoint = await watchdog(first.checkpoint(), 'the checkpoint');
        assert.is(checkpoint.job, 'checkpointed');
        assert.equal(first.checkpoints().at(-1), checkpoint);
        // Nothing moves the clock now: the first run's output is what came before the barrier.
        await first.cancel();
        assert.equal(await firstSummaries, [], 'summaries come at the end only');
        assert.equal(await firstCounts, [], 'counts come at the end only');
        const earlier = await firstWindows;
        if (earlier.length > 0) firedBefore++;
        // The checkpoint is plain data: it survives a trip through JSON.
        const copy = JSON.parse(JSON.stringify(checkpoint)) as CompletedCheckpoint;
        const clock2 = new ManualClock(0);
        const second = await runtime.run(fixture('checkpointed'), { parallelism: after, workers: after, clock: clock2, batchSize: 4, watermarkIntervalMs: 50, restoreFrom: copy, params: { ...base, keyedParallelism: after } satisfies Params });
        const rest = await runToEnd(second, clock2);
        const want = expected(records);
        assertSameMultiset(rest.summaries, want.summaries, 'final keyed state');
        assertSameMultiset([...earlier, ...rest.windows], want.windows, 'windows before the checkpoint and after the restore');
        assert.is(rest.counted, records.length, "the counter's own snapshot restored: every record counted once");
      },
    ),
    { numRuns: 12 },
  );
  console.log(`  (${firedBefore} of 12 runs had windows fire before their checkpoint)`);
});


Checkpoints('checkpoints taken every few milliseconds do not change results, at parallelism 1, 2 and 4', async () => {
  await fc.assert(
    fc.asyncProperty(longRecordsArb, fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), fc.boolean(), async (records, keyedParallelism, sourceParallelism, chaining) => {
      const clock = new ManualClock(0);
      const h = await runtime.run(fixture('checkpointed'), {
        chaining,
        parallelism: keyedParallelism,
        workers: Math.min(3, keyedParallelism),
        clock,
        batchSize: 2,
        collectCapacity: 1,
        checkpointIntervalMs: 20,
        // The test steps the clock 50 ms a turn of its event loop, thousands of turns while a loaded
        // machine's workers take a barrier through: a timeout on that clock would abandon them all.
        checkpointTimeoutMs: 86_400_000,
        params: { records, sourceParallelism, keyedParallelism, maxOutOfOrderMs: MAX_OUT_OF_ORDER } satisfies Params,
      });
      const completed: number[] = [];
      h.on('checkpoint', (summary) => completed.push(summary.id));
      const got = await runToEnd(h, clock, true);
      completedInAll += completed.length;
      const want = expected(records);
      assertSameMultiset(got.summaries, want.summaries, 'final keyed state');
      assertSameMultiset(got.windows, want.windows, 'windows');
      assert.is(got.counted, records.length, 'every record counted once');
      for (let i = 1; i < completed.length; i++) assert.ok(completed[i]! > completed[i - 1]!, 'checkpoints complete in order');
    }),
    { numRuns: 10 },
  );
  // Sources that finished are recorded finished: checkpoints go on until the job ends (a pending one is abandoned at the end).
  assert.ok(completedInAll >= 1, `checkpoints completed while the jobs ran: ${completedInAll}`);
});

Checkpoints('a completed checkpoint is reported: event, metrics, retained ones', async () => {
  const clock = new ManualClock(0);
  const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 4}`, ts: i, v: i }));
  const h = await runtime.run(fixture('checkpointed'), { parallelism: 2, workers: 2, clock, checkpointsRetained: 2, params: { records, pauseAt: 30, sourceParallelism: 1, keyedParallelism: 2, maxOutOfOrderMs: 0 } satisfies Params });
  const events: { id: number; durationMs: number; bytes: number; alignmentMs: Record<string, number> }[] = [];
  h.on('checkpoint', (s) => events.push(s));
  const taken = [];
  for (let i = 0; i < 3; i++) taken.push(await watchdog(h.checkpoint(), `checkpoint ${i + 1}`));
  assert.equal(taken.map((c) => c.id), [1, 2, 3]);
  assert.equal(h.checkpoints().map((c) => c.id), [2, 3], 'the newest two are retained');
  const metrics = await h.metrics();
  assert.is(metrics.lastCheckpoint?.id, 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(events.map((e) => e.id), [1, 2, 3]);
  const last = events.at(-1)!;
  assert.ok(last.bytes > 0, 'bytes counted');
  assert.ok(Object.keys(last.alignmentMs).length >= 3, `alignment per actor: ${JSON.stringify(last.alignmentMs)}`);
  const operators = Object.keys(taken[2]!.operators).sort();
  assert.equal(operators, ['uid:counter', 'uid:records', 'uid:summary', 'uid:windows'].sort(), 'operators with state: no assigner, no sink');
  const counter = taken[2]!.operators['uid:counter']!.subtasks;
  assert.is(counter.length, 1);
  assert.ok(counter[0]!.kind === 'stage' && typeof counter[0]!.stage.operator === 'number', `the counter's own snapshot: ${JSON.stringify(counter)}`);
  assert.is(taken[2]!.operators['uid:summary']!.subtasks.length, 2);
  await h.cancel();
});

Checkpoints('a checkpoint not complete within checkpointTimeoutMs is abandoned, and the next one completes', async () => {
  const clock = new ManualClock(0);
  const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 7}`, ts: i, v: 1 }));
  const h = await runtime.run(fixture('checkpointed'), { parallelism: 2, workers: 2, clock, checkpointTimeoutMs: 100, params: { records, pauseAt: 200, sourceParallelism: 1, keyedParallelism: 2, maxOutOfOrderMs: 0 } satisfies Params });
  const abandoned: number[] = [];
  h.on('checkpointAbandoned', (id) => abandoned.push(id));
  const pending = h.checkpoint();
  // The timeout runs on the job's clock: moving it past 100 ms abandons the checkpoint at once.
  clock.advance(150);
  const error = await rejectionOf(pending, 'the checkpoint');
  assert.is(error.code, 'WEIR_E_CHECKPOINT');
  assert.match(error.message, /checkpoint 1 was abandoned: not complete within checkpointTimeoutMs \(100 ms\)/);
  assert.equal(h.checkpoints(), [], 'nothing of it is kept');
  const next = await watchdog(h.checkpoint(), 'the next checkpoint');
  assert.is(next.id, 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(abandoned, [1]);
  await h.cancel();
  await assertRejects(h.checkpoint(), /Job "checkpointed" is cancelled: no checkpoint is taken/);
});

async function assertRejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await rejectionOf(promise, 'the call');
  assert.is(error.code, 'WEIR_E_CHECKPOINT');
  assert.match(error.message, message);
}

Checkpoints('a checkpoint that does not fit the job is refused before anything runs', async () => {
  const clock = new ManualClock(0);
  const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, ts: i, v: 1 }));
  const params: Params = { records, pauseAt: 10, sourceParallelism: 1, keyedParallelism: 1, maxOutOfOrderMs: 0 };
  const h = await runtime.run(fixture('checkpointed'), { parallelism: 1, workers: 1, clock, params });
  const checkpoint = await watchdog(h.checkpoint(), 'the checkpoint');
  await h.cancel();
  const other = { ...checkpoint, job: 'another' };
  await assertRejects(runtime.run(fixture('checkpointed'), { workers: 1, clock, restoreFrom: other, params }), /it is a checkpoint of job "another"/);
  const extra = { ...checkpoint, operators: { ...checkpoint.operators, 'uid:gone': { ...checkpoint.operators['uid:summary']!, name: 'gone' } } };
  await assertRejects(runtime.run(fixture('checkpointed'), { workers: 1, clock, restoreFrom: extra, params }), /operator "gone" \(uid:gone\) has state in the checkpoint, but this job has no such operator/);
  await assertRejects(runtime.run(fixture('checkpointed'), { workers: 2, clock, restoreFrom: checkpoint, params: { ...params, sourceParallelism: 2 } }), /source "records" read at parallelism 1/);
  await assertRejects(runtime.run(fixture('checkpointed'), { workers: 1, clock, maxParallelism: 64, restoreFrom: checkpoint, params }), /split into 128 key groups, this run into 64/);
  await assertRejects(
    runtime.run(fixture('checkpointed'), { workers: 2, clock, restoreFrom: checkpoint, params: { ...params, counterParallelism: 2 } }),
    /operator "counter" keeps state of its own \(snapshot\(\)\), which cannot be split from parallelism 1 to 2/,
  );
});

Checkpoints('sources that claim splits on demand resume from a checkpoint taken at a random point: no record lost, none read twice', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), async (at, before, after) => {
      const base = { count: 2000, keys: 7, sourceParallelism: 2 };
      const options = { batchSize: 8, mailboxCapacity: 1, collectCapacity: 1 };
      const first = await runtime.run(fixture('split-sums'), { ...options, parallelism: before, workers: Math.min(3, Math.max(2, before)), params: { ...base, keyedParallelism: before } satisfies SplitParams });
      const firstSums = first.collected<SplitSum>('sums');
      // The ticks are read at the test's pace, so the sources are still reading when the checkpoint is taken.
      let checkpoint: Promise<CompletedCheckpoint> | undefined;
      let completed = false;
      let read = 0;
      for await (const _ of first.output<number>('ticks')) {
        if (read++ === at) checkpoint = first.checkpoint().finally(() => (completed = true));
        if (completed) break;
      }
      const taken = await watchdog(checkpoint!, 'the checkpoint');
      await first.cancel();
      assert.equal(await firstSums, [], 'sums come at the end only');
      const second = await runtime.run(fixture('split-sums'), { ...options, parallelism: after, workers: Math.min(3, Math.max(2, after)), restoreFrom: taken, params: { ...base, keyedParallelism: after } satisfies SplitParams });
      void (async () => {
        for await (const _ of second.output<number>('ticks'));
      })();
      const sums = await watchdog(second.collected<SplitSum>('sums'), 'the restored run');
      const want = new Map<string, SplitSum>();
      for (let i = 0; i < base.count; i++) {
        const key = `k${i % base.keys}`;
        const s = want.get(key) ?? { key, n: 0, sum: 0 };
        want.set(key, { key, n: s.n + 1, sum: s.sum + i });
      }
      assertSameMultiset(sums, [...want.values()], 'every record counted once');
    }),
    { numRuns: 8 },
  );
});

Checkpoints.after(() => runtime.close());
Checkpoints.run();
