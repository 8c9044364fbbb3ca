/**
 * Nothing is lost silently, and memory is bounded in bytes: a record that cannot be read on the
 * other side of a channel fails the job with a named error (it never ends `finished` with records
 * missing), and large records are batched and buffered by size, not only by count.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from 'weir';
import type { Nested, Params } from '../fixtures/records.ts';
import { assertNothingLeft, fixture, resourceCounts, run, watchdog } from '../helpers.ts';

/** How deep a record is, walked without recursion. */
function depthOf(record: Nested): number {
  let depth = 0;
  for (let v: Nested | undefined = record; v?.c !== undefined; v = v.c) depth++;
  return depth;
}

const Deep = suite('records nested thousands of levels deep');

for (const depth of [2_000, 10_000]) {
  for (const across of [false, true]) {
    const where = across ? 'between workers, then to a collect sink' : 'to a collect sink';
    Deep(`${depth} levels ${where}: all 10 delivered, or the job fails naming the channel or the record, never finished with records missing`, async () => {
      const before = resourceCounts();
      const params: Params = { kind: 'deep', count: 10, depth, across };
      const h = await run(fixture('records'), { parallelism: across ? 2 : 1, workers: 2, batchSize: 1, collectCapacity: 1, params });
      let received: Nested[] | undefined;
      let failure: Error | undefined;
      try {
        received = await watchdog(h.collected<Nested>('records'), `collected() of ${depth}-deep records`);
      } catch (error) {
        failure = error as Error;
      }
      if (received) {
        assert.is((await h.done).status, 'finished');
        assert.is(received.length, 10, `expected all 10 records when the job finished, got ${received.length}`);
        for (const r of received) assert.is(depthOf(r), depth, 'expected each record whole');
      } else {
        assert.instance(failure, WeirError, `expected a WeirError, got ${failure}`);
        const e = failure as WeirError;
        assert.ok(e.code === 'WEIR_E_CHANNEL' || e.code === 'WEIR_E_NOT_CLONEABLE', `expected WEIR_E_CHANNEL or WEIR_E_NOT_CLONEABLE, got ${e.code}: ${e.message}`);
        if (e.code === 'WEIR_E_CHANNEL') assert.match(e.message, /on the channel from .+ to .+ could not be read/, `expected the channel named: ${e.message}`);
        else assert.match(e.message, /operator "(source|across)" \(subtask \d\/\d\) emitted a record that cannot be sent/, `expected the sender named: ${e.message}`);
        assert.is(h.status, 'failed', 'expected the job failed, not finished');
      }
      await h.done.catch(() => {});
      assertNothingLeft(before, `after ${depth}-deep records ${where}`);
    });
  }
}

Deep.run();

const Large = suite('records of a megabyte');

const script = fileURLToPath(new URL('../fixtures/large-records-main.ts', import.meta.url));
for (const across of [false, true]) {
  Large(`3,000 records of 1 MB into an unread collect output keep the process under 500 MB of RSS${across ? ', through a channel between workers' : ''}, and all arrive once read`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, across ? 'across' : 'direct'], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `expected the script to succeed; stderr: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { status: string; received: number; intact: number; peakUnreadMb: number; peakMb: number };
    assert.is(out.status, 'finished');
    assert.is(out.received, 3_000, `expected every record once read, got ${out.received}`);
    assert.is(out.intact, 3_000, 'expected every payload whole');
    assert.ok(out.peakUnreadMb < 500, `expected under 500 MB of RSS while the output was unread, peaked at ${out.peakUnreadMb} MB`);
    assert.ok(out.peakMb < 500, `expected under 500 MB of RSS while it was read, peaked at ${out.peakMb} MB`);
  });
}

Large.run();
