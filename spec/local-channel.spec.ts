import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { StreamMessage, RecordBatch } from '../lib/protocol/messages.ts';

const batch = (...records: number[]): StreamMessage<RecordBatch> => ({ type: 'batch', batch: records });

const Local = suite('LocalChannel');

Local('credit goes down on send and back on release; messages come out in order, by reference', () => {
  const channel = new LocalChannel(2);
  let credits = 0;
  let messages = 0;
  channel.onCredit = () => credits++;
  channel.onMessage = () => messages++;
  const first = batch(1, 2);
  channel.send(first);
  channel.send(batch(3));
  assert.is(channel.credit, 0, 'expected no credit left after two sends');
  assert.is(channel.inFlight, 2);
  assert.is(channel.queued, 2);
  assert.is(messages, 2, 'expected the receiver told of each message');
  assert.is(channel.take(), first, 'expected the same batch object, not a copy');
  channel.release();
  assert.is(channel.credit, 1, 'expected one credit back after one release');
  assert.is(credits, 1, 'expected the sender told of the credit');
  assert.equal(channel.take(), batch(3));
  assert.is(channel.take(), undefined, 'expected an empty channel');
  assert.is(channel.maxQueued, 2, 'expected the receiving side to remember its fullest mailbox');
});

Local('a send without credit is a protocol error, not a silent overflow', () => {
  const channel = new LocalChannel(2);
  channel.send(batch(1));
  channel.send(batch(2));
  assert.throws(() => channel.send(batch(3)), /3 messages queued on a channel of capacity 2/);
});

Local.run();
