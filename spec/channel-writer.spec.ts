import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChannelWriter, CloningChannelWriter, type Flow } from '../lib/channel/channel-writer.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';

const Writer = suite('ChannelWriter');

/** A writer on an in-thread channel, with what the receiver took so far. */
function setup(batchSize: number, mailboxCapacity = 2, batchBytes = 1 << 20) {
  const channel = new LocalChannel(mailboxCapacity);
  let armed = 0;
  const flow: Flow = { stalled: 0 };
  const writer = new ChannelWriter(channel, { batchSize, batchBytes }, flow, () => armed++);
  channel.onCredit = () => writer.drain();
  const take = (): StreamMessage<RecordBatch>[] => {
    const taken: StreamMessage<RecordBatch>[] = [];
    for (let m = channel.take(); m !== undefined; m = channel.take()) {
      taken.push(m);
      channel.release();
    }
    return taken;
  };
  return { channel, writer, take, flow, armed: () => armed };
}

const batches = (messages: StreamMessage<RecordBatch>[]) => messages.map((m) => (m.type === 'batch' ? [...m.batch] : m.type));

Writer('a full batch leaves at once, with exactly batchSize records in order', () => {
  const { writer, take } = setup(3);
  for (let i = 0; i < 7; i++) writer.push(i);
  assert.equal(batches(take()), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.is(writer.buffered, 1);
  assert.is(writer.recordsSent, 6);
});

Writer('a partly filled batch leaves trimmed to its records: no holes reach the receiver', () => {
  const { writer, take } = setup(8);
  writer.push('a');
  writer.push('b');
  writer.flush();
  const [message] = take();
  assert.ok(message?.type === 'batch');
  assert.is(message.batch.length, 2);
  assert.equal(Object.keys(message.batch), ['0', '1']);
  writer.flush();
  assert.equal(take(), [], 'expected an empty flush to send nothing');
});

Writer('every batch is a new array: the receiver may keep the one it was given', () => {
  const { writer, take } = setup(2);
  for (let i = 0; i < 6; i++) writer.push(i);
  const taken = take().map((m) => (m.type === 'batch' ? m.batch : []));
  assert.is(new Set(taken).size, 3);
  assert.equal(taken, [
    [0, 1],
    [2, 3],
    [4, 5],
  ]);
});

Writer('without credit a full batch waits in the backlog, counted in the flow, and leaves in order when credit comes', () => {
  const { channel, writer, flow } = setup(1, 1);
  writer.push('x');
  assert.is(flow.stalled, 0, 'expected the first batch sent on credit');
  writer.push('y');
  assert.ok(writer.blocked, 'expected the second batch held back');
  assert.is(writer.backlog.length, 1);
  assert.is(flow.stalled, 1, 'expected the writer to count itself in the flow while it has a backlog');
  assert.is(writer.maxBacklog, 1);
  const first = channel.take();
  channel.release();
  assert.not.ok(writer.blocked, 'expected the backlog sent once credit is back');
  assert.is(flow.stalled, 0, 'expected the flow free again');
  assert.equal(first, { type: 'batch', batch: ['x'] });
  assert.equal(channel.take(), { type: 'batch', batch: ['y'] });
});

Writer('a control message flushes the records before it, so nothing overtakes them', () => {
  const { writer, take } = setup(4);
  writer.push(1);
  writer.control({ type: 'end' });
  assert.equal(batches(take()), [[1], 'end']);
});

Writer('the first record of an empty buffer arms the buffer timeout, once per batch', () => {
  const { writer, take, armed } = setup(2);
  writer.push(1);
  writer.push(2);
  writer.push(3);
  take();
  assert.is(armed(), 2);
});

Writer('a batch of large records leaves at its byte bound, before its record bound', () => {
  const { writer, take } = setup(4096, 2, 64 * 1024);
  const big = (i: number) => ({ i, payload: 'x'.repeat(10_000) });
  for (let i = 0; i < 20; i++) writer.push(big(i));
  const sent = batches(take()) as unknown[][];
  assert.ok(sent.length >= 2, `expected 200 KB of records to leave in several 64 KB batches, got ${sent.length} batch(es)`);
  for (const batch of sent) assert.ok(batch.length <= 7, `expected at most ~64 KB (6-7 records of 10 KB) per batch, got ${batch.length}`);
});

Writer('small records are sampled, not measured one by one, and still fill whole batches', () => {
  const { writer, take } = setup(256, 2, 1 << 20);
  for (let i = 0; i < 512; i++) writer.push({ i });
  assert.equal(
    (batches(take()) as unknown[][]).map((b) => b.length),
    [256, 256],
    'expected small records to fill batches by count',
  );
});

Writer('a cloning writer hands over copies, and names a record that cannot cross threads', () => {
  const channel = new LocalChannel(2);
  const flow: Flow = { stalled: 0 };
  const copying = new CloningChannelWriter(channel, { batchSize: 1, batchBytes: 1 << 20 }, flow, () => {}, (record) => new Error(`cannot send ${JSON.stringify(record)}`)).copying(true);
  const record = { v: 1, nested: { w: 2 } };
  copying.push(record);
  const message = channel.take();
  assert.ok(message?.type === 'batch');
  assert.equal(message.batch[0], record, 'expected an equal record');
  assert.ok(message.batch[0] !== record, 'expected a copy, not the sender\'s object');
  const checking = new CloningChannelWriter(new LocalChannel(2), { batchSize: 1, batchBytes: 1 << 20 }, flow, () => {}, (record) => new Error(`cannot send ${Object.keys(record as object)}`));
  let thrown: unknown;
  try {
    checking.push({ f: () => 1 });
  } catch (error) {
    thrown = error;
  }
  assert.match(String(thrown), /cannot send f/, 'expected the check to refuse a record holding a function');
});

Writer('a flat record is copied field by field, as structured cloning would copy it; anything else is cloned', () => {
  const channel = new LocalChannel(4);
  const flow: Flow = { stalled: 0 };
  const copying = new CloningChannelWriter(channel, { batchSize: 1, batchBytes: 1 << 20 }, flow, () => {}, () => new Error('cannot send')).copying(true);
  const flat = { symbol: 'ACME', price: 1.5, size: 3, odd: undefined, none: null, flag: true, big: 2n };
  const nested = { at: new Date(0), list: [1, 2] };
  class Point {
    constructor(readonly x: number) {}
  }
  const instance = new Point(1);
  const sent: unknown[] = [];
  for (const record of [flat, nested, instance]) {
    copying.push(record);
    const message = channel.take();
    assert.ok(message?.type === 'batch');
    sent.push(message.batch[0]);
  }
  assert.equal(sent, [structuredClone(flat), structuredClone(nested), structuredClone(instance)], 'expected what structured cloning gives');
  assert.ok(sent.every((copy, i) => copy !== [flat, nested, instance][i]), 'expected copies, not the sender\'s objects');
  assert.is(Object.getPrototypeOf(sent[2]), Object.prototype, 'expected a class instance to arrive as a plain object, as cloned');
});

Writer.run();
