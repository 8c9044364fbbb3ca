/**
 * The two-phase commit of exactly-once sinks: a transaction per checkpoint, prepared on its barrier,
 * committed when it completes, aborted on a restart; and the collect sink's OutputStream on top of it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectTransactions, TransactionLog, type TwoPhaseCommit } from '../lib/operator/two-phase-commit.ts';
import { LocalChannel } from '../lib/channel/local-channel.ts';
import { OutputStream } from '../lib/runtime/output-stream.ts';

const TwoPhase = suite('two-phase commit');

/** A sink that writes down every step it is asked to take. */
function recording(): { sink: TwoPhaseCommit<number, { n: number; records: number[] }>; steps: string[] } {
  const steps: string[] = [];
  let n = 0;
  return {
    steps,
    sink: {
      begin: () => ({ n: ++n, records: [] }),
      write: (txn, records) => void txn.records.push(...records),
      prepare: (txn, id) => void steps.push(`prepare ${txn.n} [${txn.records}] for ${id}`),
      commit: (txn, id) => void steps.push(`commit ${txn.n} for ${id}`),
      abort: (txn) => void steps.push(`abort ${txn.n}`),
    },
  };
}

TwoPhase('prepare on the barrier, commit what a completed checkpoint covers, in order', () => {
  const { sink, steps } = recording();
  const log = new TransactionLog(sink);
  log.write([1, 2]);
  log.barrier(1);
  log.barrier(2); // nothing written since: no transaction
  log.write([3]);
  log.barrier(3);
  log.write([4]);
  assert.is(log.pending, 2);
  log.committed(2);
  log.committed(3);
  assert.equal(steps, ['prepare 1 [1,2] for 1', 'prepare 2 [3] for 3', 'commit 1 for 1', 'commit 2 for 3']);
  log.finish();
  assert.equal(steps.slice(4), ['prepare 3 [4] for Infinity', 'commit 3 for Infinity']);
});

TwoPhase('a restart aborts the prepared and the open transactions, not the committed ones', () => {
  const { sink, steps } = recording();
  const log = new TransactionLog(sink);
  log.write([1]);
  log.barrier(1);
  log.committed(1);
  log.write([2]);
  log.barrier(2);
  log.write([3]);
  log.abortUncommitted();
  assert.equal(steps, ['prepare 1 [1] for 1', 'commit 1 for 1', 'prepare 2 [2] for 2', 'abort 2', 'abort 3']);
  assert.is(log.pending, 0);
});

TwoPhase("a subtask's end prepares what it wrote for the next checkpoint", () => {
  const delivered: number[] = [];
  const log = new TransactionLog(collectTransactions<number>((records) => delivered.push(...records)));
  log.write([1]);
  log.barrier(4);
  log.write([2]);
  log.ended();
  log.committed(4);
  assert.equal(delivered, [1]);
  log.committed(5);
  assert.equal(delivered, [1, 2]);
});

TwoPhase('an exactly-once OutputStream hands records over on commit, drops uncommitted ones on abort', async () => {
  const channels = [new LocalChannel(4), new LocalChannel(4)];
  const stream = new OutputStream<number>('job', 'out', channels, 'exactly-once');
  channels[0]!.send({ type: 'batch', batch: [1, 2] } as never);
  channels[0]!.send({ type: 'barrier', checkpointId: 1 });
  channels[1]!.send({ type: 'batch', batch: [3] } as never);
  channels[1]!.send({ type: 'barrier', checkpointId: 1 });
  channels[1]!.send({ type: 'batch', batch: [4] } as never);
  await stream.barrier(1);
  const all = stream.collected();
  stream.commit(1);
  assert.is(stream.abortUncommitted(), 0, 'nothing prepared is left: [4] is open');
  channels[0]!.send({ type: 'batch', batch: [5] } as never);
  channels[0]!.send({ type: 'end' });
  channels[1]!.send({ type: 'end' });
  await stream.whenEnded();
  stream.finish();
  stream.settle();
  assert.equal((await all).sort(), [1, 2, 3, 5]);
});

TwoPhase('asynchronous steps run in the order asked for; a transaction stays prepared until its commit finished', async () => {
  const steps: string[] = [];
  const commits: (() => void)[] = [];
  const log = new TransactionLog<number, number[]>({
    begin: () => [],
    write: (txn, records) => void txn.push(...records),
    prepare: async (txn, id) => void steps.push(`prepare [${txn}] for ${id}`),
    commit: (txn, id) =>
      new Promise<void>((resolve) => {
        steps.push(`commit [${txn}] for ${id}`);
        commits.push(resolve);
      }),
    abort: () => {},
  });
  log.write([1]);
  const prepared = log.barrier(1);
  assert.ok(prepared instanceof Promise);
  log.write([2]);
  log.barrier(2);
  const committed = log.committed(2);
  await prepared;
  while (commits.length === 0) await Promise.resolve();
  assert.equal(log.prepared().map((p) => p.checkpointId), [1, 2], 'both still prepared while the first commit runs');
  commits.shift()!();
  while (commits.length === 0) await Promise.resolve();
  assert.equal(log.prepared().map((p) => p.checkpointId), [2]);
  commits.shift()!();
  await committed;
  assert.equal(steps, ['prepare [1] for 1', 'prepare [2] for 2', 'commit [1] for 1', 'commit [2] for 2']);
  assert.is(log.pending, 0);
});

TwoPhase('the end commits an Infinity transaction even with nothing open: a connector learns the scope is done', () => {
  const { sink, steps } = recording();
  const log = new TransactionLog(sink);
  log.write([1]);
  log.barrier(4); // prepared for a checkpoint that will not complete before the end
  log.finish();
  assert.equal(steps, ['prepare 1 [1] for 4', 'prepare 2 [] for Infinity', 'commit 1 for 4', 'commit 2 for Infinity']);
});

TwoPhase('recover commits what a restored checkpoint held prepared, before anything else', () => {
  const { sink, steps } = recording();
  const log = new TransactionLog(sink);
  log.recover([
    { checkpointId: 3, txn: { n: 10, records: [7] } },
    { checkpointId: 4, txn: { n: 11, records: [8] } },
  ]);
  log.write([9]);
  log.barrier(5);
  assert.equal(steps, ['commit 10 for 3', 'commit 11 for 4', 'prepare 1 [9] for 5']);
});

TwoPhase.run();
