/**
 * A paced exactly-once output stream (a job with periodic checkpoints): batches waiting for their
 * checkpoint, and committed ones waiting for the consumer, keep their channel's credit; a checkpoint
 * whose barrier is awaited always finds credit to come by. In-thread channels stand in for ports.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import { OutputStream } from '../lib/runtime/output-stream.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';
import { watchdog } from './helpers.ts';

const batch = (...records: number[]): StreamMessage<RecordBatch> => ({ type: 'batch', batch: records });

const Paced = suite('paced exactly-once output');

Paced('uncommitted batches keep their credit: the sender stops at the bounds', () => {
  const channel = new LocalChannel(2);
  new OutputStream<number>('job', 'out', [channel], 'exactly-once', true);
  channel.send(batch(1));
  channel.send(batch(2));
  assert.is(channel.credit, 0, 'two uncommitted batches hold both slots');
});

Paced('unpaced, credit comes back as batches arrive (output waits for the end)', () => {
  const channel = new LocalChannel(2);
  new OutputStream<number>('job', 'out', [channel], 'exactly-once', false);
  channel.send(batch(1));
  channel.send(batch(2));
  assert.is(channel.credit, 2);
});

Paced('a checkpoint asked for frees the credit its barrier needs; committed batches keep theirs until consumed', async () => {
  const channel = new LocalChannel(2);
  const stream = new OutputStream<number>('job', 'out', [channel], 'exactly-once', true);
  const records = stream.iterate();
  channel.send(batch(1));
  channel.send(batch(2));
  const barrier = stream.barrier(1);
  assert.is(channel.credit, 2, 'the barrier must be able to come behind uncommitted batches');
  channel.send(batch(3));
  assert.is(channel.credit, 2, 'a batch before the awaited barrier gives its credit back too');
  channel.send({ type: 'barrier', checkpointId: 1 });
  await watchdog(barrier, 'the barrier');
  channel.send(batch(4));
  assert.is(channel.credit, 1, 'after the barrier, batches keep their credit again');
  stream.commit(1);
  assert.is(channel.credit, 1, 'batches 1-3 gave their credit back before: nothing to return at commit');
  assert.equal([(await records.next()).value, (await records.next()).value, (await records.next()).value], [1, 2, 3]);
  channel.send({ type: 'barrier', checkpointId: 2 });
  stream.commit(2);
  assert.is(channel.credit, 1, 'the barrier is credited at once; batch 4, committed, keeps its credit until consumed');
  assert.equal((await records.next()).value, 4);
  const fifth = records.next();
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(channel.credit, 2, 'batch 4 is credited once the consumer moved past it');
  channel.send({ type: 'end' });
  stream.finish();
  stream.settle();
  assert.equal(await fifth, { value: undefined, done: true });
});

Paced('whatever the order of batches, barriers, requests, commits and reads, an awaited barrier always has credit to come by, and every record is delivered once, in order', () => {
  const step = fc.constantFrom('batch', 'barrier', 'ask', 'commit', 'read');
  return fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), async (steps, capacity) => {
      const channel = new LocalChannel(capacity);
      const stream = new OutputStream<number>('job', 'out', [channel], 'exactly-once', true);
      const records = stream.iterate();
      const got: number[] = [];
      let sent = 0;
      let asked = 0;
      /** Per barrier sent, how many records came before it: what its commit delivers. */
      const before: number[] = [];
      let committed = 0;
      const awaited = () => before.length < asked;
      for (const s of steps) {
        if (s === 'batch' && channel.credit > 0) channel.send(batch(sent++));
        if (s === 'barrier' && channel.credit > 0 && awaited()) {
          before.push(sent);
          channel.send({ type: 'barrier', checkpointId: before.length });
        }
        if (s === 'ask') void stream.barrier(++asked);
        if (s === 'commit' && before.length > 0) {
          stream.commit(before.length);
          committed = before.at(-1)!;
        }
        // Only what is committed can be read without waiting.
        if (s === 'read' && got.length < committed) got.push((await records.next()).value as number);
        if (awaited()) assert.ok(channel.credit > 0, `an awaited barrier (checkpoint ${before.length + 1}) has credit to come by`);
      }
      // The job's end: its sources have finished, so a checkpoint asked for now finds the end instead of its barrier.
      while (awaited()) {
        before.push(sent);
        channel.send({ type: 'barrier', checkpointId: before.length });
      }
      void stream.barrier(++asked);
      assert.ok(channel.credit > 0, 'the end can come');
      channel.send({ type: 'end' });
      stream.finish();
      stream.settle();
      for (let next = await records.next(); !next.done; next = await records.next()) got.push(next.value);
      assert.equal(got, Array.from({ length: sent }, (_, i) => i));
      assert.is(channel.credit, capacity, 'every credit is back once everything is consumed');
    }),
  );
});

Paced.run();
