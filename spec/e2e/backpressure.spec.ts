import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type JobMetrics } from 'weir';
import { fixture, run, watchdog } from '../helpers.ts';

const RECORDS = 5_000_000;
const MAILBOX = 2;
const HEAP_LIMIT = 150 * 1024 * 1024;

let metrics: Promise<JobMetrics> | undefined;

/** One run of the slow-sink job, shared by the tests of this file (it is the expensive one). */
function slowJob(): Promise<JobMetrics> {
  metrics ??= (async () => {
    const h = await run(fixture('slow-sink'), {
      parallelism: 2,
      workers: 2,
      mailboxCapacity: MAILBOX,
      params: { count: RECORDS, burn: 250 },
    });
    const result = await watchdog(h.done, 'slow-sink job', 120_000);
    assert.is(result.status, 'finished', 'expected the slow job to finish');
    return result.metrics;
  })();
  return metrics;
}

const operator = (m: JobMetrics, name: string) => {
  const op = m.operators.find((o) => o.name.split(' → ').includes(name));
  assert.ok(op, `expected an operator chain containing "${name}", got ${m.operators.map((o) => o.name).join(' | ')}`);
  return op!;
};

const Backpressure = suite('backpressure: a fast source into a slow operator');

Backpressure('the receiver never holds more than its mailbox: the slow operator filled it, and no more', async () => {
  const m = await slowJob();
  const slow = operator(m, 'slow');
  // Seen from the receiving side: what the sender counts in flight cannot exceed its credit by
  // construction, so the bound worth checking is what actually queued up at the receiver.
  assert.is(slow.capacity, 2 * 2 * MAILBOX, `expected 2 subtasks × 2 input channels × ${MAILBOX} slots, got ${slow.capacity}`);
  assert.ok(slow.maxQueued > 0, 'expected the slow operator\'s mailbox to have filled: it is the bottleneck');
  assert.ok(slow.maxQueued <= slow.capacity, `expected at most ${slow.capacity} messages queued at the slow operator, saw ${slow.maxQueued}`);
  const channels = m.channels.filter((c) => c.from.includes('source'));
  assert.ok(channels.length >= 4, `expected the source's 2 × 2 rebalance channels in the metrics, got ${channels.length}`);
  for (const c of channels) {
    assert.is(c.capacity, MAILBOX, `expected channel ${c.from} → ${c.to} to have mailboxCapacity ${MAILBOX}`);
    assert.ok(c.batchesSent > 100, `expected ${c.from} → ${c.to} to carry many batches, got ${c.batchesSent}`);
    assert.ok(c.maxBacklog <= 2, `expected at most a batch and a control message waiting at ${c.from} → ${c.to}, saw ${c.maxBacklog}`);
  }
});

Backpressure('the source was paused for lack of credit', async () => {
  const m = await slowJob();
  const source = operator(m, 'source');
  assert.ok(source.pauses > 0, `expected the source to have paused at least once, pauses = ${source.pauses}`);
  assert.is(source.paused, 0, 'expected no source subtask to be paused once the job finished');
});

Backpressure('worker heap stays bounded: records are not piling up anywhere', async () => {
  const m = await slowJob();
  assert.is(m.workers.length, 2, 'expected figures for both workers');
  for (const w of m.workers) {
    assert.ok(w.peakHeapBytes > 0, `expected worker ${w.worker} to report its peak heap`);
    assert.ok(
      w.peakHeapBytes < HEAP_LIMIT,
      `expected worker ${w.worker} peak heap below ${HEAP_LIMIT / 2 ** 20} MiB, got ${(w.peakHeapBytes / 2 ** 20).toFixed(1)} MiB`,
    );
  }
});

Backpressure('nothing is lost: the sink took every one of the 5,000,000 records', async () => {
  const m = await slowJob();
  const source = operator(m, 'source');
  const sink = operator(m, 'sink');
  assert.is(source.recordsIn, RECORDS, `expected the source to read ${RECORDS} records`);
  assert.is(source.recordsOut, RECORDS, `expected the source to send ${RECORDS} records`);
  assert.is(sink.recordsIn, RECORDS, `expected the slow operator and sink to take ${RECORDS} records, got ${sink.recordsIn}`);
  assert.equal(sink.subtasks, { finished: 2 }, 'expected both sink subtasks to have finished');
  assert.is(sink.queued, 0, 'expected empty mailboxes at the end');
  assert.is(source.backlog, 0, 'expected no batch left waiting for credit at the end');
});

Backpressure.run();
