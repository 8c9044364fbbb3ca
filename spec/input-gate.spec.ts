/** The mailbox of an actor: its input channels served round-robin, and the end of input counted per channel. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { InputGate } from '../lib/channel/input-gate.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';

const batch = (...records: unknown[]): StreamMessage<RecordBatch> => ({ type: 'batch', batch: records });

/** `n` channels of `capacity` slots, and a gate over them. */
function gateOf(n: number, capacity = 8) {
  const channels = Array.from({ length: n }, () => new LocalChannel(capacity));
  return { channels, gate: new InputGate(channels) };
}

/** Serves the gate as an actor does: the channel it names, one message, its slot released. */
function serve(gate: InputGate): { channel: number; message: StreamMessage<RecordBatch> } | undefined {
  const channel = gate.next();
  if (channel < 0) return undefined;
  const message = gate.channels[channel]!.take()!;
  gate.channels[channel]!.release();
  return { channel, message };
}

const Serving = suite('input gate: serving');

Serving('channels take turns: a channel with more waiting does not go twice while another waits', () => {
  const { channels, gate } = gateOf(2);
  channels[0]!.send(batch('a'));
  channels[0]!.send(batch('b'));
  channels[0]!.send(batch('c'));
  channels[1]!.send(batch('x'));
  const order: unknown[] = [];
  for (let next = serve(gate); next; next = serve(gate)) order.push(next.message.type === 'batch' ? next.message.batch[0] : next.message.type);
  assert.equal(order, ['a', 'x', 'b', 'c'], `expected the two channels served in turn, got ${order.join(', ')}`);
});

Serving('an empty gate names no channel', () => {
  const { gate } = gateOf(3);
  assert.is(gate.next(), -1, 'expected -1 with nothing queued');
  assert.is(serve(gate), undefined);
});

Serving('a channel that is refilled after every message cannot starve the others (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 5 }), (loads) => {
      // Channel 0 is always busy: it gets a new message each time one of its messages is taken.
      const n = loads.length + 1;
      const { channels, gate } = gateOf(n);
      channels[0]!.send(batch('busy'));
      loads.forEach((load, i) => {
        for (let k = 0; k < load; k++) channels[i + 1]!.send(batch(k));
      });
      /** Services of other channels since each waiting channel was last served. */
      const passedOver = new Array<number>(n).fill(0);
      const total = loads.reduce((a, b) => a + b, 0);
      let served = 0;
      while (served < total) {
        const next = serve(gate);
        assert.ok(next, 'expected a message while the quiet channels still hold some');
        if (next.channel === 0) channels[0]!.send(batch('busy'));
        else served++;
        for (let j = 0; j < n; j++) {
          if (j === next.channel) passedOver[j] = 0;
          else if (channels[j]!.queued > 0) passedOver[j]! += 1;
          assert.ok(passedOver[j]! <= n - 1, `expected channel ${j} served within ${n - 1} turns of the others, it waited ${passedOver[j]}`);
        }
      }
    }),
  );
});

const Counting = suite('input gate: counting');

Counting('hasInput and queued add up every channel', () => {
  const { channels, gate } = gateOf(3);
  assert.not.ok(gate.hasInput(), 'expected no input on fresh channels');
  assert.is(gate.queued, 0);
  channels[2]!.send(batch(1));
  assert.ok(gate.hasInput(), 'expected input once the last channel holds a message');
  channels[0]!.send(batch(2));
  channels[0]!.send(batch(3));
  assert.is(gate.queued, 3, 'expected 2 + 0 + 1 messages waiting');
  serve(gate);
  serve(gate);
  serve(gate);
  assert.is(gate.queued, 0);
  assert.not.ok(gate.hasInput(), 'expected no input once everything was served');
});

Counting('maxQueued is the sum of each channel\'s peak, even when the peaks came at different times', () => {
  const { channels, gate } = gateOf(2);
  channels[0]!.send(batch(1));
  channels[0]!.send(batch(2));
  serve(gate);
  serve(gate);
  channels[1]!.send(batch(3));
  assert.is(gate.queued, 1);
  assert.is(gate.maxQueued, 3, `expected the peaks 2 + 1, got ${gate.maxQueued}`);
});

const Ending = suite('input gate: end of input');

Ending('the gate ends only once every channel has delivered its end', () => {
  const { gate } = gateOf(3);
  assert.not.ok(gate.ended);
  assert.is(gate.end(1), false, 'expected one of three ends not to end the gate');
  assert.is(gate.end(0), false, 'expected two of three ends not to end the gate');
  assert.not.ok(gate.ended);
  assert.is(gate.end(2), true, 'expected the third end to end the gate');
  assert.ok(gate.ended);
});

Ending('a channel that ends twice is counted once', () => {
  const { gate } = gateOf(2);
  assert.is(gate.end(0), false);
  assert.is(gate.end(0), false, 'expected a duplicate end of channel 0 not to stand in for channel 1');
  assert.not.ok(gate.ended, 'expected the gate still open while channel 1 has not ended');
  assert.is(gate.end(1), true);
  assert.is(gate.end(1), true, 'expected an ended gate to stay ended');
});

Serving.run();
Counting.run();
Ending.run();
