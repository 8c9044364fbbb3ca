import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChannelWriter } from '../lib/channel/channel-writer.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';

const Writer = suite('ChannelWriter');

/** A writer on an in-thread channel, with what the receiver took so far. */
function setup(batchSize: number, mailboxCapacity = 2) {
  const channel = new LocalChannel(mailboxCapacity);
  let armed = 0;
  const writer = new ChannelWriter(channel, batchSize, () => armed++);
  channel.onCredit = () => writer.drain();
  const take = (): StreamMessage<RecordBatch>[] => {
    const taken: StreamMessage<RecordBatch>[] = [];
    for (let m = channel.take(); m !== undefined; m = channel.take()) {
      taken.push(m);
      channel.release();
    }
    return taken;
  };
  return { channel, writer, take, armed: () => armed };
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

Writer('without credit a full batch waits in the backlog, and leaves in order when credit comes', () => {
  const { channel, writer } = setup(1, 1);
  writer.push('x');
  writer.push('y');
  assert.ok(writer.blocked, 'expected the second batch held back');
  assert.is(writer.backlog.length, 1);
  const first = channel.take();
  channel.release();
  assert.not.ok(writer.blocked, 'expected the backlog sent once credit is back');
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

Writer.run();
