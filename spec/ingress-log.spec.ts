/**
 * The coordinator's log of a daemon input and the input's reader, talking over a real MessagePort
 * as they do between the coordinator and a worker: records come in order, writes are paced by the
 * capacity, and a reader restored to a checkpoint's offset gets exactly what came after it.
 */
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sources, type SourceReader } from 'weir';
import { buildGraph, job } from '../lib/api/job.ts';
import { sinks, sources as built } from '../lib/api/connectors-catalog.ts';
import { IngressLog } from '../lib/runtime/ingress.ts';
import { rejectionOf, sourceContext, thrownBy } from './helpers.ts';

/** A reader of `log` on a fresh port pair, as an attempt of the job opens it; `woken` resolves at its next wake-up. */
function attachReader(log: IngressLog<number>, capacity: number) {
  const { port1, port2 } = new MessageChannel();
  log.attach(port2);
  let wake: (() => void) | undefined;
  const reader: SourceReader<number> = sources.input<number>(log.name, { capacity }).open(
    sourceContext({ subtaskIndex: 0, parallelism: 1, ingressPort: () => port1, wakeUp: () => wake?.() }),
  );
  const woken = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  /** Emits exactly `n` records (they must be written), waiting for the log's replies as the parked subtask would. */
  const take = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    while (out.length < n) {
      const next = woken();
      const before = out.length;
      reader.read(n - out.length, { collect: (r) => void out.push(r), collectAll: (rs) => void out.push(...rs) });
      if (out.length === before) await next;
    }
    return out;
  };
  /** Reads until the reader says the input ended. */
  const rest = async (): Promise<number[]> => {
    const out: number[] = [];
    for (;;) {
      const next = woken();
      const before = out.length;
      const more = reader.read(1000, { collect: (r) => void out.push(r), collectAll: (rs) => void out.push(...rs) });
      if (!more) return out;
      if (out.length === before) await next;
    }
  };
  /** Closes both ends, as the end of an attempt does (an open port would keep the process alive). */
  const close = (): void => {
    reader.close?.();
    log.detach();
  };
  return { reader, take, rest, close };
}

const Log = suite('ingress log and input reader');

Log('records reach the reader in the order written; end() resolves once the reader has them all', async () => {
  const log = new IngressLog<number>('job', 'numbers', 8, false, 0);
  const { take, rest, close } = attachReader(log, 8);
  for (let i = 0; i < 5; i++) await log.write(i);
  assert.equal(await take(5), [0, 1, 2, 3, 4]);
  void log.write(5);
  const ended = log.end();
  assert.equal(await rest(), [5]);
  await ended;
  assert.is(log.held, 0, 'without periodic checkpoints nothing is kept once sent');
  close();
});

Log('write() waits while more than the capacity is unread, and resolves as the reader takes records', async () => {
  const log = new IngressLog<number>('job', 'numbers', 4, false, 0);
  const { take, close } = attachReader(log, 4);
  const writes = Array.from({ length: 10 }, (_, i) => log.write(i));
  let resolved = 0;
  for (const w of writes) void w.then(() => resolved++);
  await Promise.resolve();
  assert.is(resolved, 4, 'the writes within the capacity resolve at once');
  assert.is(log.unread, 10);
  assert.equal(await take(10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await Promise.all(writes);
  assert.is(log.unread, 0);
  close();
});

Log('a write after end() and a write after the job ended are refused', async () => {
  const log = new IngressLog<number>('job', 'numbers', 4, true, 0);
  // No reader: end() waits for one to have read everything, until the job ends.
  const ending = log.end();
  const late = await rejectionOf(log.write(1), 'write after end');
  assert.is(late.code, 'WEIR_E_INPUT');
  log.close(new Error('cancelled'));
  assert.match((await rejectionOf(ending, 'end() when the job ended first')).message, /cancelled/);
  const closed = new IngressLog<number>('job', 'other', 4, true, 0);
  const failure = new Error('the job failed');
  const waiting = closed.write(1).then(() => closed.write(2));
  closed.write(3).catch(() => {});
  closed.write(4).catch(() => {});
  closed.write(5).catch(() => {});
  closed.close(failure);
  assert.is(await rejectionOf(waiting, 'a write waiting when the job failed'), failure);
  assert.is(await rejectionOf(closed.end(), 'end after the job failed'), failure);
});

type Step = { readonly op: 'write'; readonly n: number } | { readonly op: 'read'; readonly n: number } | { readonly op: 'checkpoint' } | { readonly op: 'restart' };

const steps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('write' as const), n: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant('read' as const), n: fc.integer({ min: 1, max: 40 }) }),
    fc.constant({ op: 'checkpoint' as const }),
    fc.constant({ op: 'restart' as const }),
  ),
  { maxLength: 40 },
);

Log('property: a reader restored to its checkpoint gets what came after it, so state restored with it holds every record once', async () => {
  await fc.assert(
    fc.asyncProperty(steps, fc.integer({ min: 1, max: 16 }), async (plan: Step[], capacity) => {
      const log = new IngressLog<number>('job', 'numbers', capacity, true, 0);
      let attempt = attachReader(log, capacity);
      let written = 0;
      /** What the job's state holds: the records read since its last restore. */
      let state: number[] = [];
      let checkpoint = { state: [] as number[], offset: 0 };
      const writes: Promise<void>[] = [];
      for (const step of plan) {
        if (step.op === 'write') for (let k = 0; k < step.n; k++) writes.push(log.write(written++));
        else if (step.op === 'read') state.push(...(await attempt.take(Math.min(step.n, written - (checkpoint.offset + state.length - checkpoint.state.length)))));
        else if (step.op === 'checkpoint') {
          checkpoint = { state: [...state], offset: attempt.reader.offset() as number };
          log.acknowledge(checkpoint.offset);
          assert.ok(log.held <= written - checkpoint.offset, 'the log keeps nothing a completed checkpoint covers');
        } else {
          attempt.close();
          attempt = attachReader(log, capacity);
          attempt.reader.seek(checkpoint.offset);
          state = [...checkpoint.state];
        }
      }
      const ended = log.end();
      state.push(...(await attempt.rest()));
      await ended;
      await Promise.all(writes);
      attempt.close();
      assert.equal(state, Array.from({ length: written }, (_, i) => i));
    }),
    { numRuns: 150 },
  );
});

Log('an input runs at parallelism 1 whatever the job\'s, refuses another, and its name is its own', () => {
  const graph = buildGraph(job('one', (env) => void env.from(built.input<number>('n')).to(sinks.discard())), {});
  assert.is(graph.nodes[0]!.parallelism, 1);
  const wider = thrownBy(() => buildGraph(job('wide', (env) => void env.from(built.input<number>('n')).parallelism(2).to(sinks.discard())), {}), 'parallelism(2)');
  assert.is(wider.code, 'WEIR_E_GRAPH');
  assert.match(wider.message, /parallelism\(2\) of input "n": an input runs at parallelism 1/);
  const twice = thrownBy(
    () =>
      buildGraph(
        job('twice', (env) => {
          env.from(built.input<number>('n')).to(sinks.discard());
          env.from(built.input<number>('n')).to(sinks.discard());
        }),
        {},
      ),
    'two inputs named n',
  );
  assert.match(twice.message, /two sources read the input "n"/);
});

Log.run();
