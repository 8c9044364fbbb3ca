/** The tail of every chain: which channel each record goes to, by partitioning. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ChannelWriter, type Flow } from '../lib/channel/channel-writer.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import { createRouter, type RouteSpec } from '../lib/channel/router.ts';
import { WeirError, type SubtaskLocation } from '../lib/errors.ts';
import type { KeySelector } from '../lib/graph/logical-graph.ts';
import type { ResolvedPartition } from '../lib/plan/physical-plan.ts';
import { keyGroupOf, subtaskOfKeyGroup, type Key } from '../lib/state/key-groups.ts';
import { thrownBy } from './helpers.ts';

const at: SubtaskLocation = { job: 'router-spec', operator: 'keyBy → count', subtaskIndex: 0, parallelism: 1 };

/**
 * `n` writers that send every record at once (batches of one) on channels large enough for the
 * test, and what each channel received so far.
 */
function writers(n: number, capacity = 1024) {
  const flow: Flow = { stalled: 0 };
  const channels = Array.from({ length: n }, () => new LocalChannel(capacity));
  const all = channels.map((channel) => new ChannelWriter(channel, { batchSize: 1, batchBytes: 1 << 20 }, flow, () => {}));
  /** Records each channel received, by channel. */
  const received = (): unknown[][] =>
    channels.map((channel) => {
      const records: unknown[] = [];
      for (let m = channel.take(); m !== undefined; m = channel.take()) {
        if (m.type === 'batch') records.push(...m.batch);
        channel.release();
      }
      return records;
    });
  return { writers: all, received };
}

const spec = (partition: ResolvedPartition, ws: readonly ChannelWriter[], more: Partial<RouteSpec> = {}): RouteSpec => ({
  partition,
  writers: ws,
  at,
  maxParallelism: 128,
  start: 0,
  ...more,
});

const Simple = suite('router: forward, rebalance, broadcast');

Simple('forward sends every record, in order, to its one writer', () => {
  const { writers: ws, received } = writers(1);
  const route = createRouter([spec('forward', ws)]);
  for (const r of ['a', 'b', 'c']) route.collect(r);
  assert.equal(received(), [['a', 'b', 'c']]);
});

Simple('rebalance deals records round-robin, starting at `start`', () => {
  const { writers: ws, received } = writers(3);
  const route = createRouter([spec('rebalance', ws, { start: 1 })]);
  for (let i = 0; i < 7; i++) route.collect(i);
  assert.equal(received(), [[2, 5], [0, 3, 6], [1, 4]], 'expected records 0, 1, 2, … on writers 1, 2, 0, 1, …');
});

Simple('a start beyond the writers wraps around', () => {
  const { writers: ws, received } = writers(3);
  const route = createRouter([spec('rebalance', ws, { start: 5 })]);
  for (let i = 0; i < 3; i++) route.collect(i);
  assert.equal(received(), [[1], [2], [0]], 'expected start 5 of 3 writers to begin at writer 2');
});

Simple('rebalance keeps every writer within one record of the others (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(20), fc.nat(50), (n, start, count) => {
      const { writers: ws, received } = writers(n);
      const route = createRouter([spec('rebalance', ws, { start })]);
      for (let i = 0; i < count; i++) route.collect(i);
      const sizes = received().map((records) => records.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `expected an even spread, got ${sizes.join(', ')}`);
      assert.is(sizes.reduce((a, b) => a + b, 0), count, 'expected every record sent once');
    }),
  );
});

Simple('broadcast sends every record to every writer', () => {
  const { writers: ws, received } = writers(3);
  const route = createRouter([spec('broadcast', ws)]);
  route.collect('x');
  route.collect('y');
  assert.equal(received(), [['x', 'y'], ['x', 'y'], ['x', 'y']]);
});

Simple('a router without outputs takes records and sends them nowhere', () => {
  const route = createRouter([]);
  route.collect('dropped');
});

const Hash = suite('router: hash');

Hash('every record of one key lands on one writer, the one its key group belongs to (property)', () => {
  const key = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom(8, 128, 1000), fc.array(key, { maxLength: 60 }), (n, maxParallelism, keys) => {
      const { writers: ws, received } = writers(n);
      const keyOf: KeySelector = (record) => (record as { k: Key }).k;
      const route = createRouter([spec('hash', ws, { keyOf, maxParallelism })]);
      keys.forEach((k, i) => route.collect({ k, i }));
      const landed = new Map<Key, number>();
      received().forEach((records, writer) => {
        for (const record of records as { k: Key }[]) {
          const expected = subtaskOfKeyGroup(keyGroupOf(record.k, maxParallelism), maxParallelism, n);
          assert.is(writer, expected, `expected key ${String(record.k)} on writer ${expected}, it landed on ${writer}`);
          const before = landed.get(record.k);
          assert.ok(before === undefined || before === writer, `expected key ${String(record.k)} on one writer, found it on ${before} and ${writer}`);
          landed.set(record.k, writer);
        }
      });
    }),
  );
});

Hash('records of one key keep their order', () => {
  const { writers: ws, received } = writers(4);
  const route = createRouter([spec('hash', ws, { keyOf: (r) => (r as [string, number])[0] })]);
  for (let i = 0; i < 20; i++) route.collect(['same', i]);
  const nonEmpty = received().filter((records) => records.length > 0);
  assert.is(nonEmpty.length, 1, 'expected one writer to hold every record of the key');
  assert.equal(
    nonEmpty[0]!.map((r) => (r as [string, number])[1]),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

Hash('a key selector that throws fails with WEIR_E_USER_FUNCTION, naming the keyBy operator and the record', () => {
  const { writers: ws } = writers(2);
  const route = createRouter([
    spec('hash', ws, {
      keyOf: () => {
        throw new Error('no key here');
      },
    }),
  ]);
  const error = thrownBy(() => route.collect({ id: 7 }), 'a throwing key selector');
  assert.instance(error, WeirError);
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'keyBy → count', 'expected the error to name the `at` operator');
  assert.match(error.message, /no key here/, 'expected the cause in the message');
  assert.match(error.message, /\{"id":7\}/, 'expected the record in the message');
  assert.instance(error.cause, Error);
});

Hash('a key selector that returns an object fails with WEIR_E_USER_FUNCTION saying what a key must be', () => {
  const { writers: ws } = writers(2);
  const route = createRouter([spec('hash', ws, { keyOf: (r) => r as Key })]);
  const error = thrownBy(() => route.collect({ a: 1 }), 'an object key');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'keyBy → count');
  assert.match(error.message, /keyBy must return a string or a number, got object/);
});

const FanOut = suite('router: several outputs');

FanOut('each record goes to every output edge, each partitioned its own way', () => {
  const forward = writers(1);
  const broadcast = writers(2);
  const rebalance = writers(2);
  const route = createRouter([spec('forward', forward.writers), spec('broadcast', broadcast.writers), spec('rebalance', rebalance.writers, { start: 1 })]);
  for (const r of [1, 2, 3]) route.collect(r);
  assert.equal(forward.received(), [[1, 2, 3]], 'expected the forward edge to see every record');
  assert.equal(broadcast.received(), [[1, 2, 3], [1, 2, 3]], 'expected every broadcast writer to see every record');
  assert.equal(rebalance.received(), [[2], [1, 3]], 'expected the rebalance edge to deal from writer 1');
});

FanOut('a hash edge among others routes by key while the others see everything', () => {
  const all = writers(1);
  const keyed = writers(3);
  const keyOf: KeySelector = (r) => r as string;
  const route = createRouter([spec('forward', all.writers), spec('hash', keyed.writers, { keyOf, maxParallelism: 16 })]);
  const keys = ['a', 'b', 'c', 'd', 'a'];
  for (const k of keys) route.collect(k);
  assert.equal(all.received(), [keys]);
  const byWriter = keyed.received();
  for (const k of new Set(keys)) {
    const expected = subtaskOfKeyGroup(keyGroupOf(k, 16), 16, 3);
    assert.is(byWriter[expected]!.filter((r) => r === k).length, keys.filter((x) => x === k).length, `expected every "${k}" on writer ${expected}`);
  }
  assert.is(byWriter.flat().length, keys.length, 'expected each record on exactly one keyed writer');
});

Simple.run();
Hash.run();
FanOut.run();
