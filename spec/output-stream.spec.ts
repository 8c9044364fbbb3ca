/**
 * The coordinator's end of a collect sink, fed by in-thread channels standing in for the sink
 * subtasks' ports (both are InputChannels: the stream cannot tell them apart).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import { WeirError } from '../lib/errors.ts';
import { OutputStream } from '../lib/runtime/output-stream.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';
import { rejectionOf, thrownBy, watchdog } from './helpers.ts';

const batch = (...records: unknown[]): StreamMessage<RecordBatch> => ({ type: 'batch', batch: records });
const END: StreamMessage<RecordBatch> = { type: 'end' };

/** A stream over `n` channels of `capacity` slots. */
function stream(n: number, capacity = 4) {
  const channels = Array.from({ length: n }, () => new LocalChannel(capacity));
  return { channels, output: new OutputStream<unknown>('output-spec', 'results', channels) };
}

/** Lets every reaction already queued run (promises settled by what the test just did). */
const settledReactions = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `promise` has settled by now, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settledReactions();
  return settled;
}

const Delivery = suite('output stream: delivery');

Delivery('records reach the iterator as they come, before the job is settled', async () => {
  const { channels, output } = stream(1);
  const records = output.iterate();
  channels[0]!.send(batch('a', 'b'));
  assert.equal(await watchdog(records.next(), 'first record'), { value: 'a', done: false });
  assert.equal(await watchdog(records.next(), 'second record'), { value: 'b', done: false });
  const third = records.next();
  channels[0]!.send(batch('c'));
  assert.equal(await watchdog(third, 'a record sent while the consumer waited'), { value: 'c', done: false });
  output.settle();
  assert.equal(await watchdog(records.next(), 'the end'), { value: undefined, done: true });
});

Delivery('the end comes only after settle, even when every channel has already ended', async () => {
  const { channels, output } = stream(2);
  const collected = output.collected();
  channels[0]!.send(batch(1, 2));
  channels[1]!.send(batch(3));
  channels[0]!.send(END);
  channels[1]!.send(END);
  assert.ok(output.ended, 'expected the stream to know every channel ended');
  assert.not.ok(await isSettled(collected), 'expected collected() to wait for settle, the job\'s threads may still be busy');
  output.settle();
  assert.equal(await watchdog(collected, 'collected()'), [1, 2, 3]);
});

Delivery('collected() gives every record once, in order, however many batches came, records that are arrays kept whole', async () => {
  const { channels, output } = stream(1, 2);
  const collected = output.collected();
  const sent: unknown[] = [];
  // More batches than one join takes at once (1024), fed as credit returns: the channel holds 2.
  for (let i = 0; i < 2_500; i++) {
    const records = i % 3 === 0 ? [[i, 'array record']] : [i, `${i}`];
    sent.push(...records);
    channels[0]!.send(batch(...records));
    await settledReactions();
  }
  channels[0]!.send(END);
  output.settle();
  assert.equal(await watchdog(collected, 'collected()'), sent);
});

Delivery('the iterator ends only after settle too', async () => {
  const { channels, output } = stream(1);
  const records = output.iterate();
  channels[0]!.send(batch('only'));
  channels[0]!.send(END);
  assert.equal(await records.next(), { value: 'only', done: false });
  const end = records.next();
  assert.not.ok(await isSettled(end), 'expected the iterator to wait for settle');
  output.settle();
  assert.equal(await watchdog(end, 'the end'), { value: undefined, done: true });
});

Delivery('whenEnded resolves once every channel has sent its end, not before', async () => {
  const { channels, output } = stream(2);
  const ended = output.whenEnded();
  channels[1]!.send(END);
  assert.not.ok(await isSettled(ended), 'expected one end of two not to end the stream');
  assert.not.ok(output.ended);
  channels[0]!.send(END);
  await watchdog(ended, 'whenEnded()');
  assert.ok(output.ended);
});

Delivery('a stream without channels has ended from the start', async () => {
  const { output } = stream(0);
  assert.ok(output.ended);
  await watchdog(output.whenEnded(), 'whenEnded() of no channels');
  output.settle();
  assert.equal(await watchdog(output.collected(), 'collected() of no channels'), []);
});

const Failure = suite('output stream: a failed job');

Failure('the iterator yields the records that arrived, then throws the job\'s error after settle', async () => {
  const { channels, output } = stream(1);
  const records = output.iterate();
  channels[0]!.send(batch('before'));
  const failure = new Error('operator threw');
  output.fail(failure);
  assert.equal(await records.next(), { value: 'before', done: false }, 'expected the records that came before the failure');
  const next = records.next();
  assert.not.ok(await isSettled(next), 'expected the error to wait for settle');
  output.settle();
  assert.is(await rejectionOf(next, 'the iterator'), failure, 'expected the job\'s own error');
});

Failure('collected() rejects with the job\'s error, only after settle', async () => {
  const { channels, output } = stream(1);
  const collected = output.collected();
  channels[0]!.send(batch(1));
  const failure = new Error('worker died');
  output.fail(failure);
  output.fail(new Error('a later failure'));
  await watchdog(output.whenEnded(), 'whenEnded() of a failed stream');
  assert.not.ok(await isSettled(collected), 'expected collected() to wait for settle');
  output.settle();
  assert.is(await rejectionOf(collected, 'collected()'), failure, 'expected the first failure, not a later one');
});

const Consumers = suite('output stream: one consumer');

Consumers('a second iterator is refused with WEIR_E_OUTPUT_CONSUMED', () => {
  const { output } = stream(1);
  output.iterate();
  const error = thrownBy(() => output.iterate(), 'a second iterate()');
  assert.instance(error, WeirError);
  assert.is(error.code, 'WEIR_E_OUTPUT_CONSUMED');
  assert.match(error.message, /output "results" is already read with output\(\)/);
});

Consumers('collected() after iterate() rejects, and iterate() after collected() throws', async () => {
  const first = stream(1).output;
  first.iterate();
  assert.is((await rejectionOf(first.collected(), 'collected() after iterate()')).code, 'WEIR_E_OUTPUT_CONSUMED');
  const second = stream(1).output;
  void second.collected();
  assert.is(thrownBy(() => second.iterate(), 'iterate() after collected()').code, 'WEIR_E_OUTPUT_CONSUMED');
});

Consumers('collected() twice is one consumer: both calls get the same promise', () => {
  const { output } = stream(1);
  const first = output.collected();
  assert.is(output.collected(), first, 'expected the same promise');
});

const Credit = suite('output stream: credit');

Credit('a batch\'s credit returns only when collected() takes it', () => {
  const { channels, output } = stream(1, 2);
  const channel = channels[0]!;
  channel.send(batch(1));
  channel.send(batch(2));
  assert.is(channel.credit, 0, 'expected both slots used');
  assert.is(channel.queued, 0, 'expected the stream to have taken both batches off the channel');
  assert.is(channel.credit, 0, 'expected no credit back while nobody consumes');
  void output.collected();
  assert.is(channel.credit, 2, 'expected both credits back once the consumer took the batches');
});

Credit('with the iterator, a batch\'s credit returns once its last record is consumed', async () => {
  const { channels, output } = stream(1, 2);
  const channel = channels[0]!;
  const records = output.iterate();
  channel.send(batch('a', 'b'));
  await records.next();
  await records.next();
  assert.is(channel.credit, 1, 'expected the slot still held while the batch is being read');
  channel.send(batch('c'));
  assert.equal(await records.next(), { value: 'c', done: false });
  assert.is(channel.credit, 1, 'expected the first batch\'s credit back, the second still being read');
});

Credit('an end of stream frees its slot at once', () => {
  const { channels } = stream(1, 2);
  channels[0]!.send(END);
  assert.is(channels[0]!.credit, 2, 'expected the end\'s slot released without a consumer');
});

Credit('close() closes every channel and ends the stream', async () => {
  const { channels, output } = stream(2);
  channels[0]!.send(batch(1));
  await watchdog(output.close(), 'close()');
  await watchdog(output.whenEnded(), 'whenEnded() after close');
  output.settle();
  assert.equal(await watchdog(output.collected(), 'collected() after close'), [1], 'expected the records already taken');
  assert.is(channels[0]!.credit, 3, 'expected no credit returned on a closed stream');
});

Credit('a consumer that leaves its loop early stops reading: credit comes back, later records are dropped, the end still comes', async () => {
  const { channels, output } = stream(1, 2);
  const channel = channels[0]!;
  channel.send(batch(1, 2));
  channel.send(batch(3));
  for await (const r of output.iterate()) if (r === 1) break;
  assert.is(channel.credit, 2, 'expected the credit of the batch being read and of the one behind it back');
  channel.send(batch(4));
  assert.is(channel.credit, 2, 'expected a later batch dropped and its credit returned at once');
  channel.send(END);
  await watchdog(output.whenEnded(), 'whenEnded() after an early break');
});

Delivery.run();
Failure.run();
Consumers.run();
Credit.run();
