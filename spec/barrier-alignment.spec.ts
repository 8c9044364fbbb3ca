/**
 * Checkpoint barriers inside an actor: alignment over its input channels (records behind a barrier
 * wait, keeping their channel's credit, until the barrier came on every channel or the channel
 * ended), and a barrier's way through a chain (each stage cuts its state after everything before the
 * barrier passed it, also when an output stalls on the way).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BarrierAligner } from '../lib/channel/barrier-aligner.ts';
import { InputGate } from '../lib/channel/input-gate.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import type { RecordBatch, StreamMessage } from '../lib/protocol/messages.ts';
import { chainOf, link } from './fixtures/chain-harness.ts';

type Message = StreamMessage<RecordBatch>;
const batch = (...records: unknown[]): Message => ({ type: 'batch', batch: records });
const barrier = (checkpointId: number): Message => ({ type: 'barrier', checkpointId });

/** Serves the gate as an actor does, until nothing can be taken: records, and `cut:<id>` when a checkpoint is aligned. */
function serve(gate: InputGate, aligner: BarrierAligner, log: string[]): void {
  for (let i = gate.next(); i >= 0; i = gate.next()) {
    const channel = gate.channels[i]!;
    const message = channel.take()!;
    channel.release();
    let aligned;
    if (message.type === 'batch') log.push(...message.batch.map(String));
    else if (message.type === 'barrier') aligned = aligner.barrier(i, message.checkpointId);
    else if (message.type === 'end') {
      gate.end(i);
      aligned = aligner.ended();
    }
    if (aligned) log.push(`cut:${aligned.checkpointId}`);
  }
}

const Alignment = suite('barrier alignment over input channels');

Alignment('records behind a barrier wait until it came on every channel; their slots stay taken meanwhile', () => {
  const channels = [new LocalChannel(4), new LocalChannel(4)];
  const gate = new InputGate(channels);
  let now = 0;
  const aligner = new BarrierAligner(gate, () => now);
  const log: string[] = [];
  channels[0]!.send(batch('a'));
  channels[0]!.send(barrier(1));
  channels[0]!.send(batch('b'));
  channels[1]!.send(batch('x'));
  serve(gate, aligner, log);
  assert.equal(log, ['a', 'x'], 'b waits behind the barrier of channel 0');
  assert.ok(aligner.aligning);
  assert.is(channels[0]!.queued, 1, 'b is still in its channel');
  assert.is(channels[0]!.credit, 3, 'and holds its slot: the sender has the rest of its credit only');
  assert.not.ok(gate.hasInput(), 'a held channel is no input');
  now = 7;
  channels[1]!.send(batch('y'));
  channels[1]!.send(barrier(1));
  channels[1]!.send(batch('z'));
  serve(gate, aligner, log);
  assert.equal(log.slice(0, 4), ['a', 'x', 'y', 'cut:1']);
  assert.equal([...log.slice(4)].sort(), ['b', 'z']);
  assert.not.ok(aligner.aligning);
  assert.is(channels[0]!.credit, 4, 'every slot returned');
});

Alignment('a channel that ended counts as arrived', () => {
  const channels = [new LocalChannel(4), new LocalChannel(4), new LocalChannel(4)];
  const gate = new InputGate(channels);
  const aligner = new BarrierAligner(gate, () => 0);
  const log: string[] = [];
  channels[2]!.send({ type: 'end' });
  channels[0]!.send(barrier(3));
  channels[0]!.send(batch('after'));
  serve(gate, aligner, log);
  assert.equal(log, [], 'channel 1 has not sent its barrier');
  channels[1]!.send(batch('before'));
  channels[1]!.send({ type: 'end' });
  serve(gate, aligner, log);
  assert.equal(log, ['before', 'cut:3', 'after']);
});

Alignment('whatever the channels and where their barriers are, the cut falls between every channel’s records before and after it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ before: fc.nat(5), after: fc.nat(5), ends: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(3), { maxLength: 40 }),
      (specs, order) => {
        const channels = specs.map(() => new LocalChannel(16));
        const gate = new InputGate(channels);
        const aligner = new BarrierAligner(gate, () => 0);
        // Each channel: records before, then its barrier (or its end, for a channel that ends first), then records after.
        const queues = specs.map((s, c) => [
          ...Array.from({ length: s.before }, (_, k) => batch(`${c}b${k}`)),
          s.ends ? ({ type: 'end' } as Message) : barrier(1),
          ...(s.ends ? [] : Array.from({ length: s.after }, (_, k) => batch(`${c}a${k}`))),
        ]);
        const log: string[] = [];
        // Messages arrive in a random interleaving, served as they come.
        for (const pick of [...order, ...queues.flatMap((q, c) => q.map(() => c))]) {
          const c = pick % queues.length;
          const next = queues[c]!.shift();
          if (next) channels[c]!.send(next);
          serve(gate, aligner, log);
        }
        const cut = log.indexOf('cut:1');
        const allEnded = specs.every((s) => s.ends);
        if (allEnded) return;
        assert.ok(cut >= 0, `aligned: ${log.join(' ')}`);
        for (const [i, r] of log.entries()) {
          if (r.includes('b')) assert.ok(i < cut, `${r} came before the barrier, so before the cut: ${log.join(' ')}`);
          if (r.includes('a')) assert.ok(i > cut, `${r} came after the barrier, so after the cut: ${log.join(' ')}`);
        }
        assert.is(log.length, specs.reduce((n, s) => n + s.before + (s.ends ? 0 : s.after), 0) + 1, 'every record served');
      },
    ),
  );
});

const Passing = suite('a barrier passing a chain');

Passing('each stage cuts its state once the records before the barrier passed it, also across stalls', () => {
  fc.assert(
    fc.property(fc.nat(12), fc.nat(12), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 4 }), (before, after, stalls) => {
      const seen = [0, 0];
      const counting = (n: number) =>
        link<number, number>(`op${n}`, {
          process(r, out) {
            seen[n]!++;
            out.collect(r);
          },
        });
      const cuts: { position: number; id: number; seen: number }[] = [];
      const { chain, records, signals, resumeAll } = chainOf([counting(0), counting(1)], stalls, (position, id) => cuts.push({ position, id, seen: seen[position]! }));
      chain.head.collectBatch(Array.from({ length: before }, (_, i) => i), () => {});
      chain.head.signal({ type: 'barrier', checkpointId: 5 });
      resumeAll();
      chain.head.collectBatch(Array.from({ length: after }, (_, i) => before + i), () => {});
      resumeAll();
      assert.equal(cuts, [
        { position: 0, id: 5, seen: before },
        { position: 1, id: 5, seen: before },
      ]);
      assert.equal(signals, [{ type: 'barrier', after: before }], 'the barrier reaches the outputs after the records before it');
      assert.is(records.length, before + after);
    }),
  );
});

Alignment.run();
Passing.run();
