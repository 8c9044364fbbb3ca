/**
 * The file sinks' part files, one sink subtask driven by hand (its operator hooks, a manual clock,
 * its operator state snapshotted and restored as a restart does): parts roll by size and age,
 * appear under their final names only when their checkpoint completes, a commit done twice is
 * harmless, and a restart deletes the failed attempt's in-progress files but keeps those the
 * checkpoint it resumes from holds.
 */
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonLines } from '../actors/sinks/json-lines-sink.ts';
import { csv } from '../actors/sinks/csv-sink.ts';
import type { WeirError } from '../lib/errors.ts';
import type { Operator, OperatorContext } from '../lib/operator/operator.ts';
import type { Sink } from '../lib/operator/sink.ts';
import { OperatorStore, type OperatorStoreSnapshot } from '../lib/state/operator-state-store.ts';
import { ManualClock } from '../lib/util/clock.ts';

const Parts = suite('part files');

const none = { collect() {}, collectAll() {} };

/** One sink subtask outside a job: its operator, its state, the clock its rolling reads. */
function subtask<T>(sink: Sink<T>, clock: ManualClock, restore?: OperatorStoreSnapshot, subtaskIndex = 0) {
  const operatorState = new OperatorStore();
  const operator = sink.createOperator() as Operator<T, unknown>;
  const context: OperatorContext = {
    job: 'parts',
    operator: 'sink',
    subtaskIndex,
    parallelism: 1,
    maxParallelism: 128,
    params: null,
    timestamp: NaN,
    watermark: -Infinity,
    jobId: 'run-1',
    currentProcessingTime: () => clock.now(),
    output() {},
    setTimestamp() {},
    countLateRecord() {},
    operatorState,
    waitFor: () => assert.unreachable('the file sinks work synchronously'),
  };
  operator.open!(context);
  if (restore) operatorState.restore(restore);
  return {
    write: (records: readonly T[]) => records.forEach((r) => operator.process(r, none)),
    barrier: (id: number) => {
      operator.snapshot!(id);
      return operatorState.snapshot();
    },
    complete: (id: number) => operator.onCheckpointComplete!(id),
    end: () => operator.close!(none),
    dispose: () => operator.dispose!(),
  };
}

const files = (dir: string) => readdirSync(dir).sort();
const committed = (dir: string) => files(dir).filter((f) => !f.startsWith('.'));
const inProgress = (dir: string) => files(dir).filter((f) => f.endsWith('.inprogress'));
const lines = (dir: string): unknown[] =>
  committed(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as unknown),
  );
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

Parts('nothing is visible until its checkpoint completes; then one file per part, named for subtask, checkpoint and part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-parts-'));
  const s = subtask(jsonLines<number>(dir), new ManualClock(0));
  s.write(range(0, 600)); // a batch of 512 goes to disk, the rest waits for the next batch or barrier
  assert.equal(committed(dir), []);
  assert.is(inProgress(dir).length, 1, 'the records are on disk, in progress');
  s.barrier(1);
  s.write(range(600, 615));
  assert.equal(committed(dir), [], 'prepared is not committed');
  s.complete(1);
  assert.is(committed(dir).length, 1);
  assert.match(committed(dir)[0]!, /^part-[0-9a-f]{8}-0-1-0\.jsonl$/);
  assert.equal(lines(dir), range(0, 600));
  s.end();
  assert.equal(lines(dir), range(0, 615));
  assert.ok(committed(dir).some((f) => /-0-end-0\.jsonl$/.test(f)), `the end's part: ${committed(dir)}`);
  assert.equal(inProgress(dir), []);
});

Parts('parts roll past rollBytes, and when older than rollMs by the clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-parts-'));
  const clock = new ManualClock(0);
  const s = subtask(jsonLines<{ n: number; pad: string }>(dir, { rollBytes: 100, rollMs: 1000 }), clock);
  const record = (n: number) => ({ n, pad: 'x'.repeat(20) }); // 33 or 34 bytes a line
  s.write(range(0, 9).map(record)); // 3 lines reach 100 bytes: parts of 3, 3, 3
  s.barrier(1);
  s.complete(1);
  assert.is(committed(dir).length, 3, `by size: ${committed(dir)}`);
  // Records reach the files a batch (512) at a time: each batch below is written at the clock's time.
  const wide = range(9, 9 + 3 * 512).map(record);
  const later = subtask(jsonLines<{ n: number; pad: string }>(dir, { rollBytes: 1 << 20, rollMs: 1000, prefix: 'late' }), clock);
  later.write(wide.slice(0, 512));
  clock.advance(999);
  later.write(wide.slice(512, 1024)); // the part is 999 ms old: it goes on
  clock.advance(1);
  later.write(wide.slice(1024)); // 1000 ms old: a new part
  later.end();
  assert.is(committed(dir).filter((f) => f.startsWith('late-')).length, 2, `by age: ${committed(dir)}`);
  assert.equal(lines(dir).map((r) => (r as { n: number }).n).sort((a, b) => a - b), range(0, 9 + 3 * 512));
});

Parts('a restart from checkpoint 1: the failed attempt\'s later files are deleted, checkpoint 1\'s are committed, the replay completes the output exactly once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-parts-'));
  const clock = new ManualClock(0);
  const first = subtask(jsonLines<number>(dir, { rollBytes: 8 }), clock);
  first.write(range(0, 10));
  const checkpoint1 = first.barrier(1); // prepared for 1; the checkpoint completes, but the attempt fails before it hears so
  first.write(range(10, 20));
  first.barrier(2); // prepared for 2, which never completes
  first.write(range(20, 25));
  first.dispose();
  assert.equal(committed(dir), []);
  const leftovers = inProgress(dir).length;
  assert.ok(leftovers > 3, `parts of checkpoints 1 and 2 and the open transaction in progress: ${leftovers}`);

  const second = subtask(jsonLines<number>(dir, { rollBytes: 8 }), clock, checkpoint1);
  second.write(range(10, 30)); // the replay from checkpoint 1
  assert.equal(lines(dir), range(0, 10), "checkpoint 1's parts committed at once");
  second.complete(1); // a commit done again: skipped
  second.end();
  assert.equal(lines(dir).sort((a, b) => (a as number) - (b as number)), range(0, 30), 'every record once');
  assert.equal(inProgress(dir), [], `${leftovers} in-progress files before the restart, none after its end`);
});

Parts('a commit done again after a restore finds its parts in place and skips them; a part gone from both names fails, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-parts-'));
  const clock = new ManualClock(0);
  const first = subtask(jsonLines<number>(dir, { rollBytes: 8 }), clock);
  first.write(range(0, 5));
  const checkpoint1 = first.barrier(1);
  first.complete(1); // committed; the attempt fails before checkpoint 2 records it
  first.dispose();
  const names = committed(dir);
  assert.is(names.length, 2, "parts of 4 lines (8 bytes) and 1");
  const second = subtask(jsonLines<number>(dir, { rollBytes: 8 }), clock, checkpoint1);
  second.end(); // commits checkpoint 1's parts again first: already in place
  assert.equal(committed(dir), names);
  assert.equal(lines(dir), range(0, 5), 'nothing twice');

  const third = subtask(jsonLines<number>(dir, { rollBytes: 8, prefix: 'gone' }), clock);
  third.write(range(0, 3));
  third.barrier(1);
  rmSync(join(dir, inProgress(dir)[0]!));
  try {
    third.complete(1);
    assert.unreachable('a part that vanished before its commit fails the sink');
  } catch (error) {
    assert.is((error as WeirError).code, 'WEIR_E_CONNECTOR');
    assert.match((error as Error).message, /^sinks\.jsonLines\(".*"\) at .*\.gone-.*\.inprogress: renaming it to .*gone-.*-0-1-0\.jsonl \(the commit of checkpoint 1\) failed: ENOENT/);
  }
});

Parts('a CSV part starts with the header, and reads back with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-parts-'));
  const s = subtask(csv<{ id: number; text: string }>(dir, { columns: ['id', 'text'], rollBytes: 30 }), new ManualClock(0));
  s.write([
    { id: 1, text: 'a, b' },
    { id: 2, text: 'say "hi"' },
    { id: 3, text: 'two\nlines' },
  ]);
  s.end();
  const texts = committed(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
  assert.ok(texts.length >= 2, `rolled: ${texts.length} parts`);
  assert.ok(texts.every((t) => t.startsWith('id,text\n')), 'every part has the header');
  const rows = texts.flatMap((t) => parse(t, { columns: true }) as Record<string, string>[]);
  assert.equal(rows, [
    { id: '1', text: 'a, b' },
    { id: '2', text: 'say "hi"' },
    { id: '3', text: 'two\nlines' },
  ]);
});

Parts.run();
