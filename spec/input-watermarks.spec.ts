/** The watermark of an actor's input: the minimum over channels that are neither idle nor ended. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { InputWatermarks } from '../lib/channel/input-watermarks.ts';

const Combining = suite('input watermarks');

Combining('the slowest channel decides; nothing before every channel has sent one', () => {
  const wm = new InputWatermarks([true, true]);
  assert.is(wm.watermark(0, 100), undefined, 'channel 1 has sent none yet');
  assert.is(wm.watermark(1, 50), 50);
  assert.is(wm.watermark(1, 70), 70);
  assert.is(wm.watermark(1, 60), undefined, 'a channel going back is ignored');
  assert.is(wm.watermark(1, 150), 100);
  assert.is(wm.current, 100);
});

Combining('an idle channel stops holding the others back; its next records make it count again', () => {
  const wm = new InputWatermarks([true, true]);
  wm.watermark(0, 100);
  wm.watermark(1, 20);
  assert.equal(wm.idleChannel(1), { watermark: 100, idle: false });
  wm.active(1);
  assert.is(wm.watermark(1, 30), undefined, 'the watermark does not go back for a channel that came back behind');
  assert.is(wm.watermark(0, 200), undefined, 'channel 1 holds it again');
  assert.is(wm.watermark(1, 150), 150);
});

Combining('when every channel is idle, the input is idle at the furthest of their watermarks, once', () => {
  const wm = new InputWatermarks([true, true, true]);
  wm.watermark(0, 40);
  wm.watermark(1, 10);
  wm.watermark(2, 25);
  assert.equal(wm.idleChannel(0), { watermark: undefined, idle: false });
  assert.equal(wm.idleChannel(1), { watermark: 25, idle: false });
  assert.equal(wm.idleChannel(2), { watermark: 40, idle: true });
  assert.ok(wm.idle);
  assert.equal(wm.idleChannel(2), { watermark: undefined, idle: false }, 'told once');
  wm.active(0);
  assert.not.ok(wm.idle);
});

Combining('ended channels hold nothing back; the last end moves nothing (the end itself is the final watermark)', () => {
  const wm = new InputWatermarks([true, true]);
  wm.watermark(0, 10);
  wm.watermark(1, 5);
  assert.is(wm.ended(1), 10);
  assert.is(wm.ended(0), undefined);
});

type Event = { kind: 'watermark'; channel: number; at: number } | { kind: 'idle'; channel: number } | { kind: 'active'; channel: number };

Combining('property: the watermark only advances, and never past what a channel that counts has sent', () => {
  const channels = 3;
  const event = fc.oneof(
    fc.record({ kind: fc.constant('watermark' as const), channel: fc.nat(channels - 1), at: fc.integer({ min: 0, max: 1_000 }) }),
    fc.record({ kind: fc.constant('idle' as const), channel: fc.nat(channels - 1) }),
    fc.record({ kind: fc.constant('active' as const), channel: fc.nat(channels - 1) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events: Event[]) => {
      const wm = new InputWatermarks(Array.from({ length: channels }, () => true));
      const sent = Array.from({ length: channels }, () => -Infinity);
      const idle = Array.from({ length: channels }, () => false);
      let last = -Infinity;
      for (const e of events) {
        let advanced: number | undefined;
        if (e.kind === 'watermark') {
          sent[e.channel] = Math.max(sent[e.channel]!, e.at);
          idle[e.channel] = false;
          advanced = wm.watermark(e.channel, e.at);
        } else if (e.kind === 'idle') {
          idle[e.channel] = true;
          advanced = wm.idleChannel(e.channel).watermark;
        } else {
          idle[e.channel] = false;
          wm.active(e.channel);
        }
        if (advanced !== undefined) {
          assert.ok(advanced > last, `expected ${advanced} after ${last}`);
          last = advanced;
        }
        assert.is(wm.current, last);
        assert.ok(last <= Math.max(...sent), 'never past every channel');
        // With every channel counting, the watermark is exactly their minimum, once that moved on.
        const counting = sent.filter((_, c) => !idle[c]);
        if (counting.length === channels && Math.min(...counting) > last) assert.unreachable(`expected ${Math.min(...counting)} reached`);
      }
    }),
  );
});

Combining.run();
