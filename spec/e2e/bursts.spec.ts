/**
 * Credit holds for every operator: an actor stops as soon as an output lacks credit, mid-batch and
 * mid-burst, so what waits at a sender stays within one batch and one control message per channel,
 * whatever an operator emits per record; and the worker's heap stays bounded.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type JobMetrics } from 'weir';
import type { Params } from '../fixtures/bursts.ts';
import { fixture, run, watchdog } from '../helpers.ts';

/** The documented bound of a sender's backlog per channel: one batch, and the control message after it. */
const MAX_BACKLOG = 2;
/** Far below what a burst would take if it were queued (the 10,000-per-record flatMap once peaked at 840 MB). */
const HEAP_LIMIT = 120 * 1024 * 1024;

async function burst(params: Params, options: Parameters<typeof run>[1] = {}): Promise<JobMetrics> {
  const h = await run(fixture('bursts'), { parallelism: 2, workers: 2, mailboxCapacity: 2, checkRecords: true, params, ...options });
  const result = await watchdog(h.done, `bursts (${params.mode})`, 120_000);
  assert.is(result.status, 'finished', `expected ${params.mode} to finish`);
  return result.metrics;
}

function assertBounded(m: JobMetrics, what: string, expectedAtSink: number): void {
  assert.ok(m.channels.length > 0, `${what}: expected channels in the metrics`);
  for (const c of m.channels) {
    assert.ok(c.maxBacklog <= MAX_BACKLOG, `${what}: expected ${c.from} → ${c.to} to keep at most ${MAX_BACKLOG} messages waiting for credit, saw ${c.maxBacklog}`);
    assert.ok(c.maxInFlight <= c.capacity, `${what}: expected ${c.from} → ${c.to} within ${c.capacity} in flight, saw ${c.maxInFlight}`);
  }
  for (const op of m.operators) {
    assert.ok(op.maxQueued <= op.capacity, `${what}: expected the mailboxes of ${op.name} to hold at most ${op.capacity}, saw ${op.maxQueued}`);
  }
  const slow = m.operators.find((o) => o.name.startsWith('slow'));
  assert.ok(slow, `${what}: expected the slow operator in ${m.operators.map((o) => o.name).join(' | ')}`);
  assert.ok(slow!.maxQueued > 0, `${what}: expected the slow operator's mailbox to have filled (it is the bottleneck)`);
  assert.is(slow!.recordsIn, expectedAtSink, `${what}: expected every record at the slow operator, nothing lost`);
  for (const w of m.workers) {
    assert.ok(w.peakHeapBytes < HEAP_LIMIT, `${what}: expected worker ${w.worker} below ${HEAP_LIMIT / 2 ** 20} MiB of heap, peaked at ${(w.peakHeapBytes / 2 ** 20).toFixed(1)} MiB`);
  }
}

const Bursts = suite('credit holds whatever an operator emits per record');

Bursts('a flatMap emitting 10,000 records per input (an array) into a slow operator', async () => {
  const params: Params = { mode: 'flatMap', inputs: 120, fanOut: 10_000, burn: 40 };
  assertBounded(await burst(params), 'flatMap', params.inputs * params.fanOut);
});

Bursts('a flatMap emitting 10,000 records per input from a generator, pulled only as credit allows', async () => {
  const params: Params = { mode: 'generator', inputs: 120, fanOut: 10_000, burn: 40 };
  assertBounded(await burst(params), 'generator', params.inputs * params.fanOut);
});

Bursts('a broadcast into slow subtasks', async () => {
  const params: Params = { mode: 'broadcast', inputs: 400_000, fanOut: 1, burn: 40 };
  assertBounded(await burst(params), 'broadcast', params.inputs * 2);
});

Bursts('a source into a slow keyed operator at parallelism 2', async () => {
  const params: Params = { mode: 'keyed', inputs: 800_000, fanOut: 1, burn: 40 };
  assertBounded(await burst(params), 'keyed', params.inputs);
});

Bursts('the same bounds with chaining off, where every operator hands over to the next through a channel', async () => {
  const params: Params = { mode: 'flatMap', inputs: 40, fanOut: 10_000, burn: 40 };
  assertBounded(await burst(params, { chaining: false, workers: 1 }), 'flatMap unchained', params.inputs * params.fanOut);
});

Bursts.run();
