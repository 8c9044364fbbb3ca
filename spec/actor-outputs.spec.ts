/** An actor's outputs: the buffer timeout on the replaceable clock, credit, and failures outside a step. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorOutputs } from '../lib/actor/outputs.ts';
import type { OutputChannel } from '../lib/channel/channel.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { ChannelPlan } from '../lib/plan/physical-plan.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';
import { ManualClock } from '../lib/util/clock.ts';

const plan = (batchSize: number): ChannelPlan => ({
  id: 0,
  from: { chain: 0, index: 0 },
  output: 0,
  slot: 0,
  to: { chain: 1, index: 0 },
  kind: 'local',
  fromWorker: 0,
  toWorker: 0,
  capacity: 1,
  maxBytes: Infinity,
  batchSize,
  batchBytes: 1 << 20,
  copy: false,
  toName: 'next 1/1',
  fromName: 'here 1/1',
  timed: false,
  input: 0,
});

function outputs(channel: OutputChannel, batchSize = 4) {
  const clock = new ManualClock();
  const events: string[] = [];
  const out = new ActorOutputs({
    outputs: [{ partition: 'forward', channels: [{ channel, plan: plan(batchSize) }], operator: 'here' }],
    at: { job: 'spec', operator: 'here', subtaskIndex: 0, parallelism: 1 },
    maxParallelism: 128,
    bufferTimeoutMs: 10,
    checkRecords: false,
    clock,
    time: { timestamp: NaN, input: 0 as const },
    onUnblocked: () => events.push('unblocked'),
    onFailure: (error) => events.push(`failed: ${error.message}`),
    beforeLeaving: () => events.push('published'),
  });
  return { out, clock, events };
}

const batches = (channel: LocalChannel): unknown[] => {
  const seen: unknown[] = [];
  for (let m = channel.take(); m; m = channel.take()) {
    seen.push(m.type === 'batch' ? [...m.batch] : m.type);
    channel.release();
  }
  return seen;
};

const Timeout = suite('ActorOutputs: the buffer timeout');

Timeout('a partly filled batch leaves after bufferTimeoutMs on the clock, not before', () => {
  const channel = new LocalChannel(1);
  const { out, clock } = outputs(channel);
  out.route.collect('a');
  clock.advance(9);
  assert.is(channel.queued, 0, 'expected nothing sent before the timeout');
  clock.advance(1);
  assert.equal(batches(channel), [['a']], 'expected the partial batch at 10 ms');
  assert.is(clock.pending, 0, 'expected no timer left once nothing is buffered');
});

Timeout('a writer waiting for credit keeps its partial batch; credit sends the backlog, then the timer the rest', () => {
  const channel = new LocalChannel(1);
  const { out, clock, events } = outputs(channel);
  for (let i = 0; i < 8; i++) out.route.collect(i);
  assert.is(out.flow.stalled, 1, 'expected the second full batch to wait for credit');
  out.route.collect('held');
  assert.not.ok(out.held.empty, 'expected a record routed while stalled to be held in front of the router');
  // A broadcast does this: a record goes on to every writer after one of them stalled.
  out.writers[0]!.push(8);
  clock.advance(10);
  assert.is(out.backlog, 1, 'expected the timer not to queue the partial batch behind the backlog');
  assert.equal(channel.take(), { type: 'batch', batch: [0, 1, 2, 3] });
  channel.release();
  assert.equal(events, ['unblocked'], 'expected the actor told once every output can send again');
  assert.is(out.flow.stalled, 0);
  assert.equal(channel.take(), { type: 'batch', batch: [4, 5, 6, 7] });
  channel.release();
  clock.advance(10);
  assert.equal(batches(channel), [[8]], 'expected the partial batch once its timer came with credit');
});

Timeout('a send that fails from the timer reaches the actor as a failure, not as an exception out of the timer', () => {
  const broken: OutputChannel = {
    credit: 1,
    capacity: 1,
    inFlight: 0,
    send(_message: StreamMessage<RecordBatch>) {
      throw new Error('the port is gone');
    },
    onCredit: () => {},
    close: () => Promise.resolve(),
  };
  const { out, clock, events } = outputs(broken);
  out.route.collect('x');
  clock.advance(10);
  assert.equal(events, ['failed: the port is gone']);
});

Timeout('after close, the timer is gone and late credit is ignored', () => {
  const channel = new LocalChannel(1);
  const { out, clock, events } = outputs(channel);
  out.route.collect('x');
  out.close();
  assert.is(clock.pending, 0, 'expected close to clear the buffer timer');
  clock.advance(100);
  assert.is(channel.queued, 0);
  assert.equal(events, []);
});

Timeout.run();
