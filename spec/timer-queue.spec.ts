import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Key } from '../lib/state/key-groups.ts';
import { TimerQueue } from '../lib/state/timer-queue.ts';

const Timers = suite('timer queue');

const drain = (queue: TimerQueue, upTo = Infinity) => {
  const fired: [number, Key][] = [];
  for (let t = queue.poll(upTo); t !== undefined; t = queue.poll(upTo)) fired.push([t.time, t.key]);
  return fired;
};

const ops = fc.array(
  fc.record({ del: fc.boolean(), time: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constant(Infinity)), key: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 })) }),
  { maxLength: 60 },
);

/** What the queue should hold, kept plainly: one entry per key and time. */
const plainly = (list: { del: boolean; time: number; key: Key }[]) => {
  const held = new Map<string, [number, Key]>();
  for (const { del, time, key } of list) {
    const id = `${time}|${typeof key}|${String(key)}`;
    if (del) held.delete(id);
    else if (!held.has(id)) held.set(id, [time, key]);
  }
  return [...held.values()];
};
const sorted = (timers: [number, Key][]) => [...timers].sort(([t1, k1], [t2, k2]) => t1 - t2 || String(k1).localeCompare(String(k2)));

Timers('timers come out once per key and time, in time order, deletes respected', () => {
  fc.assert(
    fc.property(ops, fc.integer({ min: -5, max: 25 }), (list, upTo) => {
      const queue = new TimerQueue();
      for (const { del, time, key } of list) (del ? queue.delete(time, key) : queue.register(time, key));
      const expected = plainly(list);
      assert.is(queue.size, expected.length);
      const due = drain(queue, upTo);
      assert.equal(due.map(([t]) => t), due.map(([t]) => t).sort((a, b) => a - b), 'time order');
      assert.equal(sorted(due), sorted(expected.filter(([t]) => t <= upTo)), 'the due ones, once each');
      assert.equal(sorted(drain(queue)), sorted(expected.filter(([t]) => t > upTo)), 'the rest later');
    }),
  );
});

Timers('a snapshot survives JSON (±Infinity times, NaN keys) and splits by key group across new owners', () => {
  fc.assert(
    fc.property(ops, fc.integer({ min: 1, max: 4 }), (list, owners) => {
      const queue = new TimerQueue();
      for (const { del, time, key } of list) (del ? queue.delete(time, key) : queue.register(time, key));
      queue.register(-Infinity, Number.NaN);
      const copy = JSON.parse(JSON.stringify(queue.snapshot(8)));
      const restored = Array.from({ length: owners }, (_, i) => {
        const q = new TimerQueue();
        q.restore(copy, (group) => group % owners === i);
        return q;
      });
      const all = restored.flatMap((q) => drain(q));
      const expected: [number, Key][] = [[-Infinity, Number.NaN], ...plainly(list)];
      assert.equal(sorted(all).map(([t, k]) => [String(t), String(k)]), sorted(expected).map(([t, k]) => [String(t), String(k)]));
      restored.forEach((q, i) => assert.is(q.size, 0, `owner ${i} drained`));
    }),
  );
});

Timers.run();
