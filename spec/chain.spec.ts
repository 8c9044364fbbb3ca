/**
 * Operators fused into one call path, and credit holding inside it: when an output runs out of
 * credit, what is on its way through the chain waits in the chain (records, the rest of a batch,
 * the rest of an emitted iterable, the end of stream) and nothing more is pulled until credit returns.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Chain, type ChainLink } from '../lib/actor/chain.ts';
import { PendingInput } from '../lib/actor/pending-input.ts';
import type { OperatorLink } from '../lib/actor/operator-stage.ts';
import { TimerQueue } from '../lib/state/timer-queue.ts';
import { ManualClock } from '../lib/util/clock.ts';
import { createRouter } from '../lib/channel/router.ts';
import { ChannelWriter, type Flow } from '../lib/channel/channel-writer.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import { WeirError } from '../lib/errors.ts';
import type { Operator } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { at, chainOf, identity, link } from './fixtures/chain-harness.ts';
import { thrownBy } from './helpers.ts';

/** An operator that emits `n` records per input with collectAll(generator), counting the generator's pulls. */
function flatMapCounting(n: number) {
  const pulls = { count: 0 };
  const operator: Operator<number, number> = {
    process(_record, out) {
      out.collectAll(
        (function* () {
          for (let i = 0; i < n; i++) {
            pulls.count++;
            yield i;
          }
        })(),
      );
    },
  };
  return { pulls, link: link('flatMap', operator) };
}

const Straight = suite('chain: with credit');

Straight('a record runs through every operator, in order, to the route', () => {
  const log: string[] = [];
  const { chain, records } = chainOf([
    link<number, number>('plusOne', { process: (r, out) => (log.push(`plusOne:${r}`), out.collect(r + 1)) }),
    link<number, number>('evens', { process: (r, out) => (log.push(`evens:${r}`), r % 2 === 0 && out.collect(r)) }),
    link<number, string>('show', { process: (r, out) => (log.push(`show:${r}`), out.collect(`#${r}`)) }),
  ]);
  for (const r of [1, 2, 3]) chain.head.collect(r);
  assert.equal(records, ['#2', '#4']);
  assert.equal(log, ['plusOne:1', 'evens:2', 'show:2', 'plusOne:2', 'evens:3', 'plusOne:3', 'evens:4', 'show:4'], 'expected each record to pass the whole chain before the next');
  assert.not.ok(chain.pending, 'expected nothing set aside without a stall');
});

Straight('batches and emitted iterables pass whole when nothing stalls', () => {
  const { chain, records } = chainOf([link<string, string>('split', { process: (line, out) => out.collectAll(line.split(' ')) })]);
  chain.head.collectAll(['a b', 'c']);
  chain.head.collectAll(new Set(['d e']));
  assert.equal(records, ['a', 'b', 'c', 'd', 'e']);
});

Straight('a chain of no operators hands records straight to the route', () => {
  const { chain, records } = chainOf([]);
  chain.head.collectAll([1, 2]);
  assert.equal(records, [1, 2]);
});

const Holding = suite('chain: credit holds inside the chain');

Holding('a generator of 10,000 records is pulled only as far as the route takes them', () => {
  const { pulls, link: flatMap } = flatMapCounting(10_000);
  const { chain, flow, records, heldAtRouter, resumeAll } = chainOf([flatMap], [3, 1000, 5000]);
  chain.head.collect(0);
  assert.is(pulls.count, 3, `expected 3 pulls before the stall, not ${pulls.count}`);
  assert.ok(chain.pending, 'expected the rest of the generator set aside');
  assert.not.ok(chain.resume(), 'expected no progress while the flow is stalled');
  assert.is(pulls.count, 3, 'expected no pull while stalled');
  flow.stalled = 0;
  assert.not.ok(chain.resume(), 'expected the next stall to stop the drain');
  assert.is(pulls.count, 1000, `expected the drain to stop at the next stall, after 1,000 pulls, got ${pulls.count}`);
  resumeAll();
  assert.is(pulls.count, 10_000);
  assert.equal(records, Array.from({ length: 10_000 }, (_, i) => i), 'expected every record once, in order');
  assert.is(heldAtRouter.count, 0, 'expected the generator not pulled past a stall: nothing to hold in front of the router');
  assert.not.ok(chain.pending);
});

Holding('behind a real writer, a flatMap fills one batch beyond the credit, not 10,000 records\' worth', () => {
  const batchSize = 100;
  const flow: Flow = { stalled: 0 };
  const channel = new LocalChannel(1);
  const writer = new ChannelWriter(channel, { batchSize, batchBytes: 1 << 20 }, flow, () => {});
  channel.onCredit = () => writer.drain();
  const { pulls, link: flatMap } = flatMapCounting(10_000);
  const time = { timestamp: NaN, input: 0 as const };
  const held = new PendingInput(time);
  const route = createRouter([{ partition: 'forward', writers: [writer], at: at('flatMap'), maxParallelism: 128, start: 0 }], { flow, record: (r) => held.record(r) });
  const chain = new Chain([flatMap], { outputs: { route, flow, held }, onSignal: (signal) => writer.control(signal), input: at('source'), time, clock: new ManualClock() });
  chain.head.collect(0);
  assert.is(pulls.count, 2 * batchSize, `expected one batch in flight and one in the backlog (${2 * batchSize} pulls), got ${pulls.count}`);
  const received: unknown[] = [];
  let endSent = false;
  for (let ended = false; !ended; ) {
    const message = channel.take();
    assert.ok(message, 'expected a message waiting while the chain has work');
    channel.release();
    if (message.type === 'batch') received.push(...message.batch);
    else ended = message.type === 'end';
    if (chain.resume() && !endSent) {
      chain.head.signal({ type: 'end' });
      endSent = true;
    }
    assert.ok(pulls.count - received.length <= 2 * batchSize, `expected at most two batches pulled ahead of the receiver, got ${pulls.count - received.length}`);
  }
  assert.equal(received, Array.from({ length: 10_000 }, (_, i) => i), 'expected every record once, in order, then the end');
  assert.ok(chain.ended);
});

Holding('a batch stops at the stall and goes on from its cursor: nothing twice, nothing skipped', () => {
  let processed = 0;
  const counting = link<number, number>('count', { process: (r, out) => (processed++, out.collect(r)) });
  const { chain, flow, records, resumeAll } = chainOf([counting], [3, 7]);
  const batch = Array.from({ length: 10 }, (_, i) => i);
  chain.head.collectAll(batch);
  assert.equal(records, [0, 1, 2]);
  assert.is(processed, 3, 'expected the records after the stall not processed yet');
  assert.ok(chain.pending);
  flow.stalled = 0;
  chain.resume();
  assert.equal(records, [0, 1, 2, 3, 4, 5, 6], 'expected the drain to stop at the second stall');
  resumeAll();
  assert.equal(records, batch, 'expected the whole batch once, in order');
  assert.is(processed, 10, 'expected each record processed exactly once');
});

Holding('records emitted one by one after a stall run on and wait in front of the router, in order', () => {
  const log: string[] = [];
  const triple = link<number, string>('triple', { process: (r, out) => ['a', 'b', 'c'].forEach((s) => out.collect(`${r}${s}`)) });
  const { chain, records, heldAtRouter, resumeAll } = chainOf([triple, identity('after', log)], [2]);
  chain.head.collectAll([1, 2]);
  assert.equal(records, ['1a', '1b'], 'expected the stall after two records');
  assert.equal(log, ['after:1a', 'after:1b', 'after:1c'], 'expected "1c" to finish its way through the operators');
  assert.is(heldAtRouter.count, 1, 'expected "1c" held in front of the router, not sent while stalled');
  assert.ok(chain.pending, 'expected "1c" waiting');
  resumeAll();
  assert.equal(records, ['1a', '1b', '1c', '2a', '2b', '2c'], 'expected "1c" before the rest of the batch');
});

const Ending = suite('chain: end of stream');

/** An identity operator whose close emits `emits` records, logging every call. */
const closing = (name: string, emits: number, log: string[]): ChainLink =>
  link(name, {
    process(record, out) {
      log.push(`${name}:${String(record)}`);
      out.collect(record);
    },
    close(out) {
      log.push(`${name}.close`);
      for (let i = 0; i < emits; i++) out.collect(`${name}.close${i}`);
    },
  });

Ending('with credit, the end runs every close in order and reaches the outputs once, after every record', () => {
  const log: string[] = [];
  const { chain, records, signals } = chainOf([closing('A', 1, log), closing('B', 1, log)]);
  chain.head.collectAll([1]);
  chain.head.signal({ type: 'end' });
  assert.equal(log, ['A:1', 'B:1', 'A.close', 'B:A.close0', 'B.close']);
  assert.equal(records, [1, 'A.close0', 'B.close0']);
  assert.equal(signals, [{ type: 'end', after: 3 }]);
  assert.ok(chain.ended);
});

Ending('the end waits behind set-aside records; closes run after their input drained, and may stall themselves', () => {
  const log: string[] = [];
  // Stalls after record 2 (inside the batch) and after record 5 (A's close output).
  const { chain, records, signals, resumeAll } = chainOf([closing('A', 1, log), closing('B', 2, log)], [2, 5]);
  chain.head.collectAll([1, 2, 3, 4]);
  chain.head.signal({ type: 'end' });
  assert.equal(signals, [], 'expected the end to wait behind the rest of the batch');
  assert.not.ok(chain.ended);
  assert.ok(chain.pending, 'expected the chain to report what it set aside');
  assert.not.ok(log.includes('A.close'), 'expected no close before its input drained');
  resumeAll();
  assert.equal(log, ['A:1', 'B:1', 'A:2', 'B:2', 'A:3', 'B:3', 'A:4', 'B:4', 'A.close', 'B:A.close0', 'B.close']);
  assert.equal(records, [1, 2, 3, 4, 'A.close0', 'B.close0', 'B.close1']);
  assert.equal(signals, [{ type: 'end', after: 7 }], 'expected exactly one end, after every record');
  assert.ok(chain.ended);
  assert.not.ok(chain.pending);
});

Ending('an end given once credit is back, before resume, still waits behind what was set aside', () => {
  const log: string[] = [];
  const { chain, flow, records, signals, resumeAll } = chainOf([closing('A', 0, log)], [1]);
  chain.head.collectAll([1, 2, 3]);
  flow.stalled = 0;
  chain.head.signal({ type: 'end' });
  assert.equal(signals, [], 'expected the end not to overtake records 2 and 3');
  assert.not.ok(log.includes('A.close'), 'expected no close while input is set aside');
  resumeAll();
  assert.equal(records, [1, 2, 3]);
  assert.equal(signals, [{ type: 'end', after: 3 }]);
});

Ending('a close that stalls holds the end until its records are out', () => {
  const log: string[] = [];
  const { chain, records, signals, resumeAll } = chainOf([closing('A', 3, log)], [1]);
  chain.head.signal({ type: 'end' });
  assert.equal(records, ['A.close0'], 'expected the stall after the first record of close');
  assert.equal(signals, [], 'expected the end to wait behind the other two');
  assert.not.ok(chain.ended);
  resumeAll();
  assert.equal(records, ['A.close0', 'A.close1', 'A.close2']);
  assert.equal(signals, [{ type: 'end', after: 3 }]);
  assert.ok(chain.ended);
});

const Keyed = suite('chain: keyed operators and blame');

/** A keyed link that logs the key its state would see at each record. */
function keyedLink(keyOf: (r: unknown) => Key, log: unknown[]) {
  const keys = { key: '' as Key };
  const operator: Operator<{ user: string }, string> = {
    process(record, out) {
      log.push([keys.key, record.user]);
      out.collect(record.user);
    },
  };
  const chainLink: ChainLink = {
    ...(link('count', operator) as OperatorLink),
    keyed: { keyOf, keys, at: at('keyBy → count'), check: true, timers: { event: new TimerQueue(), processing: new TimerQueue() } },
  };
  return chainLink;
}

Keyed('the key is set before every process call: records passed on, batches, and records drained after a stall', () => {
  const log: unknown[] = [];
  const users = ['ann', 'bob', 'ann', 'cy', 'dee'].map((user) => ({ user }));
  const { chain, records, resumeAll } = chainOf([keyedLink((r) => (r as { user: string }).user, log)], [1]);
  chain.head.collectAll(users.slice(0, 4));
  assert.is(records.length, 1, 'expected the stall after the first record');
  resumeAll();
  chain.head.collect(users[4]!);
  assert.equal(log, users.map((u) => [u.user, u.user]), 'expected each record processed under its own key');
  assert.equal(records, ['ann', 'bob', 'ann', 'cy', 'dee']);
});

Keyed('a key selector returning an object is blamed on the keyBy, with WEIR_E_USER_FUNCTION', () => {
  const { chain } = chainOf([keyedLink((r) => r as Key, [])]);
  const error = thrownBy(() => chain.head.collect({ user: 'ann' }), 'an object key');
  assert.instance(error, WeirError);
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'keyBy → count', 'expected the keyed.at operator named');
  assert.match(error.message, /keyBy must return a string or a number, got object/);
});

Keyed('an operator that throws is blamed on itself, with the record', () => {
  const failing = link('parse', {
    process() {
      throw new Error('bad input');
    },
  });
  const { chain } = chainOf([identity('first'), failing]);
  const error = thrownBy(() => chain.head.collect('x'), 'a throwing operator');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'parse');
  assert.match(error.message, /on record "x": bad input/);
});

Keyed('a close that throws is blamed on its operator, saying it was closing', () => {
  const failing = link('window', {
    process() {},
    close() {
      throw new Error('flush failed');
    },
  });
  const { chain, signals } = chainOf([failing]);
  const error = thrownBy(() => chain.head.signal({ type: 'end' }), 'a throwing close');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'window');
  assert.match(error.message, /while closing: flush failed/);
  assert.equal(signals, [], 'expected the end not to pass a failed close');
});

Keyed('a generator that throws while drained after a stall is blamed on the operator that emitted it', () => {
  const emitting = link('flatMap', {
    process(_record, out) {
      out.collectAll(
        (function* () {
          yield 1;
          yield 2;
          throw new Error('generator broke');
        })(),
      );
    },
  });
  const { chain, flow } = chainOf([emitting, identity('next')], [1]);
  chain.head.collect('in');
  flow.stalled = 0;
  const error = thrownBy(() => chain.resume(), 'draining a throwing generator');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION');
  assert.is((error as WeirError).operator, 'flatMap', `expected the producer blamed, got ${(error as WeirError).operator}`);
  assert.match(error.message, /while producing the records it emitted with collectAll: generator broke/, 'expected the message to say what the producer was doing');
});

Straight.run();
Holding.run();
Ending.run();
Keyed.run();
