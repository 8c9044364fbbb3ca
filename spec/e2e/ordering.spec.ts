import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyOfIndex, type Params, type Seen } from '../fixtures/ordering.ts';
import { fixture, run, watchdog } from '../helpers.ts';

/**
 * For every (source subtask, key), the indexes that source emits for that key, in emission order:
 * subtask s of P emits s, s + P, s + 2P, …
 */
function expectedPredecessors(params: Params): Map<number, number> {
  const last = new Map<string, number>();
  const prev = new Map<number, number>();
  for (let seq = 0; seq < params.count; seq++) {
    const id = `${seq % params.sourceParallelism}|${keyOfIndex(seq, params.keys)}`;
    prev.set(seq, last.get(id) ?? -1);
    last.set(id, seq);
  }
  return prev;
}

async function checkOrder(params: Params, workers: number, batchSize: number): Promise<void> {
  const where = `P=${params.sourceParallelism} → Q=${params.processParallelism}, workers ${workers}, batchSize ${batchSize}`;
  const h = await run(fixture('ordering'), { parallelism: params.processParallelism, workers, batchSize, mailboxCapacity: 2, params });
  const seen = await watchdog(h.collected<Seen>('seen'), `ordering job (${where})`);
  assert.is((await h.done).status, 'finished', `${where}: expected the job to finish`);

  assert.is(seen.length, params.count, `${where}: expected every record to reach the keyed process once`);
  const expected = expectedPredecessors(params);
  const delivered = new Set<number>();
  for (const r of seen) {
    assert.is(r.src, r.seq % params.sourceParallelism, `${where}: expected seq ${r.seq} to come from source subtask ${r.seq % params.sourceParallelism}`);
    assert.is(r.key, keyOfIndex(r.seq, params.keys), `${where}: expected seq ${r.seq} to carry its key`);
    assert.not.ok(delivered.has(r.seq), `${where}: expected seq ${r.seq} to be delivered once, it came twice`);
    delivered.add(r.seq);
    // Strictly increasing per (source, key), and without gaps: the previous record the process saw
    // from this source for this key is exactly the one the source emitted before it.
    if (r.prev !== expected.get(r.seq)) {
      assert.ok(r.prev < r.seq, `${where}: key ${r.key}, source ${r.src}: seq ${r.seq} arrived after seq ${r.prev} (out of order)`);
      assert.is(r.prev, expected.get(r.seq), `${where}: key ${r.key}, source ${r.src}: expected seq ${r.seq} to follow seq ${expected.get(r.seq)}, it followed ${r.prev}`);
    }
  }
}

const Ordering = suite('ordering per upstream subtask');

Ordering('records from one source subtask reach the keyed process in order, per key, across threads', async () => {
  await checkOrder({ count: 30_000, keys: 13, sourceParallelism: 2, processParallelism: 3 }, 2, 64);
});

Ordering('records from one source subtask reach the keyed process in order, per key, within one thread', async () => {
  await checkOrder({ count: 30_000, keys: 13, sourceParallelism: 2, processParallelism: 3 }, 1, 64);
});

Ordering('order holds with one record per batch and more source subtasks than process subtasks', async () => {
  await checkOrder({ count: 3_000, keys: 5, sourceParallelism: 4, processParallelism: 2 }, 2, 1);
});

Ordering.run();
