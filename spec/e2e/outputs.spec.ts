import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError, type JobResult } from 'weir';
import { indexOf, variety } from '../fixtures/roundtrip.ts';
import type { Params as ShapesParams, Tagged } from '../fixtures/shapes.ts';
import { assertNothingLeft, assertSameMultiset, fixture, rejectionOf, resourceCounts, run, thrownBy, watchdog } from '../helpers.ts';

interface Square {
  n: number;
  square: number;
}

const Output = suite('output() and collected()');

Output('output(name) yields every record and ends when the job ends, with credit flowing back from the reader', async () => {
  const count = 20_000;
  // 200 batches through a 2-batch collect buffer: the job can only finish if reading returns credit.
  const h = await run(fixture('numbers'), { parallelism: 2, workers: 2, batchSize: 100, collectCapacity: 2, params: { count } });
  const seen: Square[] = [];
  await watchdog(
    (async () => {
      for await (const r of h.output<Square>('numbers')) seen.push(r);
    })(),
    'iterating output("numbers")',
  );
  const result = await watchdog(h.done, 'done after the output ended');
  assert.is(result.status, 'finished', 'expected the job to have finished when the output ended');
  assert.is(result.metrics.status, 'finished', `expected the final metrics to say finished, got ${result.metrics.status}`);
  assert.is((await h.metrics()).status, 'finished', 'expected metrics() after the end to say finished');
  assert.is(seen.length, count, `expected ${count} records from the iterator, got ${seen.length}`);
  const ns = seen.map((r) => r.n).sort((a, b) => a - b);
  assert.ok(ns.every((n, i) => n === i), 'expected each of 0..count-1 exactly once');
  assert.ok(seen.every((r) => r.square === r.n * r.n), 'expected the records as the job computed them');
});

Output('records of one sink subtask come out of output() in the order that subtask emitted them', async () => {
  const h = await run(fixture('numbers'), { parallelism: 1, workers: 1, batchSize: 64, params: { count: 5_000 } });
  const ns: number[] = [];
  for await (const r of h.output<Square>('numbers')) ns.push(r.n);
  await h.done;
  assert.ok(ns.every((n, i) => n === i), 'expected 0, 1, 2, … in order from a single sink subtask');
});

Output('an unknown output name throws WEIR_E_UNKNOWN_OUTPUT listing the known names', async () => {
  const h = await run(fixture('shapes'), { parallelism: 1, workers: 1, params: shapesParams(10) });
  const error = thrownBy(() => h.output('nope'), 'output("nope")');
  assert.instance(error, WeirError, 'expected a WeirError');
  assert.is(error.code, 'WEIR_E_UNKNOWN_OUTPUT', `expected WEIR_E_UNKNOWN_OUTPUT, got ${error.code}`);
  assert.ok(error.message.includes('"nope"'), `expected the message to quote the unknown name: ${error.message}`);
  for (const known of ['union', 'words', 'numbers', 'broadcast', 'rebalance']) {
    assert.ok(error.message.includes(known), `expected the message to list the output "${known}": ${error.message}`);
  }
  const viaCollected = await rejectionOf(h.collected('nope'), 'collected("nope")');
  assert.is(viaCollected.code, 'WEIR_E_UNKNOWN_OUTPUT', 'expected collected() of an unknown name to reject the same way');
  assert.is((await watchdog(h.done, 'shapes')).status, 'finished', 'expected the job to finish regardless');
});

Output('an output can be read by one consumer only', async () => {
  const h = await run(fixture('numbers'), { parallelism: 1, workers: 1, params: { count: 10 } });
  const first = h.output('numbers');
  const error = thrownBy(() => h.output('numbers'), 'a second output("numbers")');
  assert.is(error.code, 'WEIR_E_OUTPUT_CONSUMED', `expected the second reader to be refused, got ${error.code}`);
  assert.match(error.message, /already read with output\(\); an output has one consumer/);
  let n = 0;
  for await (const _ of first) n++;
  assert.is(n, 10, 'expected the first reader to get every record');
  await h.done;
});

Output('collected() after the job finished still returns every record', async () => {
  const h = await run(fixture('numbers'), { parallelism: 2, workers: 1, params: { count: 1000 } });
  await watchdog(h.done, 'numbers');
  const all = await h.collected<Square>('numbers');
  assert.is(all.length, 1000, 'expected the buffered records to be kept for a late collected()');
});

Output('records of any shape cross threads and reach the caller unchanged (-0, NaN, undefined fields, nesting, unicode)', async () => {
  const count = 2_400;
  const h = await run(fixture('roundtrip'), { parallelism: 2, workers: 2, batchSize: 100, params: { count } });
  const out = await watchdog(h.collected<unknown>('records'), 'roundtrip job');
  await h.done;
  assert.is(out.length, count, `expected ${count} records`);
  const byId = new Map(out.map((r) => [indexOf(r), r]));
  assert.is(byId.size, count, 'expected every record to be recognisable and unique');
  for (let i = 0; i < count; i++) {
    const expected = variety(i);
    const actual = byId.get(i);
    assert.equal(actual, expected, `expected record ${i} unchanged: ${JSON.stringify(expected)?.slice(0, 80)}`);
    if (i % 12 === 1) assert.ok(Object.is((actual as { price: number }).price, -0), `expected -0 to stay -0 in record ${i}`);
    if (i % 12 === 2) assert.ok(Number.isNaN((actual as { price: number }).price), `expected NaN to stay NaN in record ${i}`);
    if (i % 12 === 6) assert.ok('extra' in (actual as object), `expected the undefined field "extra" to be kept in record ${i}`);
  }
});

Output.run();

const Cancel = suite('cancel()');

Cancel('cancel() of a running unbounded job resolves done as cancelled and releases its threads', async () => {
  const before = resourceCounts();
  const h = await run(fixture('numbers'), { parallelism: 2, workers: 2, params: {} });
  const cancelled: JobResult[] = [];
  h.on('cancelled', (r) => cancelled.push(r));
  const failures: Error[] = [];
  h.on('failed', (e) => failures.push(e));
  assert.is(h.status, 'running', 'expected the job to be running once run() resolved');

  // Read some records first: the job is really processing when it is cancelled.
  let read = 0;
  for await (const _ of h.output<Square>('numbers')) if (++read === 10_000) break;

  const live = await h.metrics();
  assert.is(live.status, 'running', `expected live metrics of a running job to say running, got ${live.status}`);
  const liveSource = live.operators.find((o) => o.source);
  assert.ok(liveSource && liveSource.recordsIn >= 10_000, `expected live metrics to count the records read so far, got ${liveSource?.recordsIn}`);
  assert.is(live.workers.length, 2, 'expected live figures from both workers');

  const result = await watchdog(h.cancel(), 'cancel()');
  assert.is(result.status, 'cancelled', `expected cancel() to resolve with status cancelled, got ${result.status}`);
  const done = await watchdog(h.done, 'done after cancel()');
  assert.is(done.status, 'cancelled', 'expected done to resolve with status cancelled');
  assert.is(h.status, 'cancelled', `expected the handle status cancelled, got ${h.status}`);
  assert.is(cancelled.length, 1, `expected one 'cancelled' event, got ${cancelled.length}`);
  assert.is(failures.length, 0, `expected no 'failed' event, got ${failures.map((e) => e.message).join('; ')}`);
  assert.is(done.metrics.status, 'cancelled', `expected the final metrics to say cancelled, got ${done.metrics.status}`);
  const source = done.metrics.operators.find((o) => o.source);
  assert.ok(source && source.recordsIn >= 10_000, `expected the source to have read at least the 10,000 records consumed, got ${source?.recordsIn}`);
  assertNothingLeft(before, 'after cancel()');

  const again = await h.cancel();
  assert.is(again.status, 'cancelled', 'expected a second cancel() to resolve with the same outcome');
});

Cancel('cancel() of a finished job resolves with the finished result', async () => {
  const h = await run(fixture('numbers'), { parallelism: 1, workers: 1, params: { count: 10 } });
  await h.collected('numbers');
  const finished = await h.done;
  const result = await h.cancel();
  assert.is(result.status, 'finished', 'expected cancel() after the end to report the earlier outcome');
  assert.is(result, finished, 'expected the very same result as done');
});

Cancel.run();

function shapesParams(count: number): ShapesParams {
  return {
    count,
    fanOut: 3,
    lines: ['the quick brown fox', '', 'jumps over  the lazy dog', 'the end'],
    mixed: [1, 'one', 2, 'two', 3.5, '3', -4, ''],
  };
}

const Shapes = suite('stream operations produce the expected records');

let shapes: Promise<Record<string, unknown[]>> | undefined;
const COUNT = 5_000;
function shapesRun(): Promise<Record<string, unknown[]>> {
  shapes ??= (async () => {
    const h = await run(fixture('shapes'), { parallelism: 2, workers: 2, batchSize: 256, params: shapesParams(COUNT) });
    const names = ['union', 'words', 'numbers', 'broadcast', 'rebalance'];
    const outputs = await watchdog(Promise.all(names.map((n) => h.collected(n))), 'shapes job');
    assert.is((await h.done).status, 'finished', 'expected the shapes job to finish');
    return Object.fromEntries(names.map((n, i) => [n, outputs[i]!]));
  })();
  return shapes;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

Shapes('union merges both streams: every record of each, once', async () => {
  const out = await shapesRun();
  assertSameMultiset(out['union']!, [...range(0, COUNT), ...range(1_000_000, COUNT)], 'union');
});

Shapes('flatMap emits every element of the returned iterable', async () => {
  const out = await shapesRun();
  assertSameMultiset(out['words']!, ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', 'the', 'end'], 'flatMap');
});

Shapes('filter with a type guard keeps exactly the matching records', async () => {
  const out = await shapesRun();
  assertSameMultiset(out['numbers']!, [10, 20, 35, -40], 'filter(isNumber).map(x10)');
});

Shapes('broadcast sends every record to every downstream subtask', async () => {
  const out = (await shapesRun())['broadcast'] as Tagged[];
  const expected = range(0, 3).flatMap((subtask) => range(0, COUNT).map((value) => ({ value, subtask })));
  assertSameMultiset(out, expected, 'broadcast to 3 subtasks');
});

Shapes('rebalance sends every record once, round-robin over the downstream subtasks', async () => {
  const out = (await shapesRun())['rebalance'] as Tagged[];
  assertSameMultiset(out.map((r) => r.value), range(0, COUNT), 'rebalance (values)');
  const perSubtask = [0, 0, 0];
  for (const r of out) perSubtask[r.subtask]!++;
  assert.ok(
    Math.max(...perSubtask) - Math.min(...perSubtask) <= 1,
    `expected a single sender to spread ${COUNT} records evenly over 3 subtasks, got ${perSubtask.join('/')}`,
  );
});

Shapes.run();
