import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError, type JobHandle } from 'weir';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, run, watchdog } from '../helpers.ts';

const FAIL_AT = 4242;
const PAD = 500;

/** Starts a job and records every 'failed' event it emits. */
async function started(name: string, options: Parameters<typeof run>[1]): Promise<{ h: JobHandle; failures: Error[] }> {
  const h = await run(fixture(name), options);
  const failures: Error[] = [];
  h.on('failed', (e) => failures.push(e));
  // Recorded, not thrown: a listener that throws would throw into the runtime, not into the test.
  h.on('finished', () => failures.push(new Error(`unexpected 'finished' event from ${name}`)));
  return { h, failures };
}

const UserFunction = suite('a user function that throws fails the job');

UserFunction('done rejects with WEIR_E_USER_FUNCTION naming job, operator, subtask, record and cause', async () => {
  const before = resourceCounts();
  const { h, failures } = await started('failing-map', { parallelism: 2, workers: 2, params: { failAt: FAIL_AT, pad: PAD } });
  const error = await rejectionOf(h.done, 'done of failing-map');

  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  const e = error as WeirError;
  assert.is(e.code, 'WEIR_E_USER_FUNCTION', `expected code WEIR_E_USER_FUNCTION, got ${e.code}`);
  assert.ok(e.message.includes('Job "failing-map"'), `expected the message to name the job: ${e.message}`);
  assert.ok(e.message.includes('operator "parse"'), `expected the message to name the operator "parse": ${e.message}`);
  // generate: subtask s of 2 emits the even (s = 0) or odd (s = 1) indexes, so 4242 is read by subtask 1/2,
  // and the map is chained onto the source.
  assert.ok(e.message.includes('subtask 1/2'), `expected the message to name subtask 1/2: ${e.message}`);
  assert.ok(e.message.includes(`{"value":${FAIL_AT},"pad":"xxx`), `expected the message to quote the record: ${e.message}`);
  assert.ok(e.message.includes('cannot parse value 4242'), `expected the message to carry the cause's message: ${e.message}`);
  assert.ok(e.message.length < 600, `expected the record to be truncated in the message (records are ${PAD}+ chars), got ${e.message.length} chars`);
  assert.ok(!e.message.includes('x'.repeat(PAD)), 'expected the message not to quote the whole record');
  assert.is(e.job, 'failing-map', 'expected error.job');
  assert.is(e.operator, 'parse', 'expected error.operator');
  assert.is(e.subtask, '1/2', 'expected error.subtask');

  const cause = e.cause as Error;
  assert.instance(cause, Error, 'expected error.cause to be an Error');
  assert.is(cause.name, 'ParseError', 'expected the cause to keep the user error class name');
  assert.is(cause.message, `cannot parse value ${FAIL_AT}`, "expected the cause to be the user's error");
  assert.match(cause.stack ?? '', /failing-map/, `expected the cause's stack to point into the job module: ${cause.stack}`);

  assert.is(failures.length, 1, `expected one 'failed' event, got ${failures.length}`);
  assert.is(failures[0], error, "expected the 'failed' event to carry the same error as done");
  assert.is(h.status, 'failed', `expected status failed, got ${h.status}`);
  assertNothingLeft(before, 'after a failed job');
});

UserFunction('the collected output of a failed job rejects with the same error', async () => {
  const { h } = await started('failing-map', { parallelism: 2, workers: 1, params: { failAt: FAIL_AT, count: 100_000, pad: 10 } });
  const fromOutput = await rejectionOf(h.collected('parsed'), 'collected() of failing-map');
  const fromDone = await rejectionOf(h.done, 'done of failing-map');
  assert.is(fromOutput, fromDone, 'expected collected() to reject with the error of done');
});

UserFunction('an unbounded job stops when one record fails', async () => {
  const before = resourceCounts();
  const { h, failures } = await started('failing-map', { parallelism: 1, workers: 1, params: { failAt: 100_000, pad: 0 } });
  const error = await rejectionOf(h.done, 'done of an unbounded failing-map');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION', `expected WEIR_E_USER_FUNCTION, got ${error.code}: ${error.message}`);
  assert.ok(error.message.includes('subtask 1/1'), `expected subtask 1/1: ${error.message}`);
  assert.is(failures.length, 1, "expected one 'failed' event");
  const m = await h.metrics();
  assert.is(m.status, 'failed', `expected the final metrics to say failed, got ${m.status}`);
  assertNothingLeft(before, 'after an unbounded job failed');
});

UserFunction('a keyed operator that throws on another worker fails the job with its own location', async () => {
  const before = resourceCounts();
  const { h } = await started('failing-keyed', { parallelism: 2, workers: 2, params: { count: 10_000, failKey: 'k7' } });
  const error = await rejectionOf(h.done, 'done of failing-keyed');
  assert.is(error.code, 'WEIR_E_USER_FUNCTION', `expected WEIR_E_USER_FUNCTION, got ${error.code}: ${error.message}`);
  const e = error as WeirError;
  assert.is(e.operator, 'guard', 'expected the failing operator to be "guard"');
  assert.match(e.message, /subtask [12]\/2/, `expected the message to name a subtask of 2: ${e.message}`);
  assert.match(e.message, /"key":"k7"/, `expected the message to quote the record with key k7: ${e.message}`);
  assert.match(e.message, /key k7 is not allowed/, `expected the cause's message: ${e.message}`);
  assert.is((e.cause as Error).name, 'RangeError', 'expected the cause to stay a RangeError');
  assertNothingLeft(before, 'after a keyed job failed');
});

UserFunction('a key selector returning an object fails the job with a WeirError that explains keys, fused or not', async () => {
  // At parallelism 2 the router hashes the key; at parallelism 1 the keyBy is fused into the chain
  // and only checked: both must fail the same way.
  for (const parallelism of [2, 1]) {
    const before = resourceCounts();
    const h = await run(fixture('bad-key'), { parallelism, workers: 1 });
    const error = await rejectionOf(h.done, `done of bad-key at parallelism ${parallelism}`);
    // The key selector is user code: its failure must come out like any other user function's, with
    // a code, the job and where it ran, and the TypeError of hashKey as the cause.
    assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
    assert.is(error.code, 'WEIR_E_USER_FUNCTION', `expected WEIR_E_USER_FUNCTION, got ${error.code}`);
    assert.ok(error.message.includes('Job "bad-key"'), `expected the message to name the job: ${error.message}`);
    assert.match(error.message, /keyBy → reduce/, `expected the message to blame the keyBy: ${error.message}`);
    const subtask = parallelism === 2 ? /subtask [12]\/2/ : /subtask 1\/1/;
    assert.match(error.message, subtask, `expected the message to name the subtask: ${error.message}`);
    assert.match(error.message, /keyBy must return a string or a number/, `expected the message to say what keys may be: ${error.message}`);
    assert.instance(error.cause, Error, 'expected the TypeError as the cause');
    assert.is((error.cause as Error).name, 'TypeError', 'expected the cause to be a TypeError');
    assertNothingLeft(before, `after bad-key failed at parallelism ${parallelism}`);
  }
});

UserFunction('a worker thread that exits while running fails the job with WEIR_E_WORKER_DIED', async () => {
  const before = resourceCounts();
  const { h, failures } = await started('worker-exit', { parallelism: 2, workers: 2, params: { when: 'record' } });
  const error = await rejectionOf(h.done, 'done of worker-exit (record)');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  assert.is(error.code, 'WEIR_E_WORKER_DIED', `expected WEIR_E_WORKER_DIED, got ${error.code}: ${error.message}`);
  // Record 777 is odd: generate subtask 2/2, which lives on worker 1.
  assert.match(error.message, /worker thread 1 died/, `expected the message to name worker 1: ${error.message}`);
  assert.match(error.message, /process\.exit\(\)/, `expected the message to list process.exit() as a cause: ${error.message}`);
  assert.is(failures.length, 1, "expected one 'failed' event");
  assertNothingLeft(before, 'after a worker died');
});

UserFunction('a worker thread that exits during deployment makes run() reject with WEIR_E_WORKER_DIED instead of hanging', async () => {
  const before = resourceCounts();
  // Deployment takes about a second; 20 s is only a guard that turns a hang into a failure.
  const error = await rejectionOf(watchdog(run(fixture('worker-exit'), { parallelism: 2, workers: 2, params: { when: 'build' } }), 'run(worker-exit during build)', 20_000), 'run(worker-exit during build)');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  assert.is(error.code, 'WEIR_E_WORKER_DIED', `expected WEIR_E_WORKER_DIED, got ${error.code}: ${error.message}`);
  assertNothingLeft(before, 'after a worker died during deployment');
});

UserFunction('the process survives and runs the next job normally', async () => {
  const h = await run(fixture('numbers'), { parallelism: 2, workers: 2, params: { count: 1000 } });
  const out = await watchdog(h.collected<{ n: number }>('numbers'), 'numbers after failures');
  assert.is(out.length, 1000, 'expected a later job to deliver all its records');
  assert.is((await h.done).status, 'finished', 'expected a later job to finish');
});

UserFunction.run();

const Loading = suite('jobs that cannot be loaded');

Loading('run() of a module whose build throws rejects with WEIR_E_GRAPH', async () => {
  const before = resourceCounts();
  const error = await rejectionOf(run(fixture('build-throws'), { workers: 1, params: { reason: 'missing topic' } }), 'run(build-throws)');
  assert.instance(error, WeirError, 'expected a WeirError');
  assert.is(error.code, 'WEIR_E_GRAPH', `expected WEIR_E_GRAPH, got ${error.code}: ${error.message}`);
  assert.ok(error.message.includes('"build-throws"'), `expected the message to name the job: ${error.message}`);
  assert.ok(error.message.includes('no source configured: missing topic'), `expected the message to carry the build error: ${error.message}`);
  assert.is((error.cause as Error).message, 'no source configured: missing topic', 'expected the cause to be the error build() threw');
  assertNothingLeft(before, 'after run(build-throws)');
});

Loading('run() of a module whose default export is not a job rejects with WEIR_E_NOT_A_JOB', async () => {
  const before = resourceCounts();
  for (const [name, found] of [['not-a-job', 'a function'], ['no-default', 'missing']] as const) {
    const error = await rejectionOf(run(fixture(name), { workers: 1 }), `run(${name})`);
    assert.instance(error, WeirError, 'expected a WeirError');
    assert.is(error.code, 'WEIR_E_NOT_A_JOB', `expected WEIR_E_NOT_A_JOB for ${name}, got ${error.code}: ${error.message}`);
    assert.ok(error.message.includes(`${name}.ts`), `expected the message to name the module: ${error.message}`);
    assert.ok(error.message.includes(found), `expected the message to say the default export is ${found}: ${error.message}`);
    assert.ok(error.message.includes("export default job('name'"), `expected the message to show how to export a job: ${error.message}`);
  }
  assertNothingLeft(before, 'after run() of modules that are not jobs');
});

Loading('run() of a module that does not exist rejects with WEIR_E_NOT_A_JOB, naming it', async () => {
  for (const module of [fixture('does-not-exist'), new URL('./does-not-exist.js', import.meta.url)]) {
    const error = await rejectionOf(run(module, { workers: 1 }), `run(${module.pathname})`);
    assert.instance(error, WeirError, 'expected a WeirError');
    assert.is(error.code, 'WEIR_E_NOT_A_JOB', `expected WEIR_E_NOT_A_JOB, got ${error.code}: ${error.message}`);
    assert.match(error.message, /^Job module not found: file:.*does-not-exist\.(ts|js)\. Pass the path/, `unexpected message: ${error.message}`);
  }
});

Loading('a source given the wrong kind of argument fails run() with the option it got wrong', async () => {
  const before = resourceCounts();
  const error = await rejectionOf(run(fixture('word-source'), { workers: 1, params: { lines: 3 } }), 'run(word-source)');
  assert.instance(error, WeirError, 'expected a WeirError');
  assert.is(error.code, 'WEIR_E_OPTION', `expected WEIR_E_OPTION, got ${error.code}: ${error.message}`);
  assert.is(error.message, 'Invalid option "fromArray items": got 3; allowed: an array (pass lists through params as JSON arrays).');
  assertNothingLeft(before, 'after run(word-source)');
});

Loading.run();

const Crossing = suite('a record that cannot be sent to another thread');

Crossing('fails the job with WEIR_E_NOT_CLONEABLE, naming the sender, the receiver and the record', async () => {
  const before = resourceCounts();
  const { h, failures } = await started('not-cloneable', { parallelism: 2, workers: 2, params: { count: 2_000 } });
  const error = await rejectionOf(h.done, 'done of not-cloneable');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  const e = error as WeirError;
  assert.is(e.code, 'WEIR_E_NOT_CLONEABLE', `expected code WEIR_E_NOT_CLONEABLE, got ${e.code}: ${e.message}`);
  assert.is(e.operator, 'offers', 'expected the source that emitted the record to be blamed, not the operator whose record filled the batch');
  assert.match(e.message, /^Job "not-cloneable" failed: operator "offers" \(subtask [12]\/2\) emitted a record that cannot be sent to render → collect#2 [12]\/2 on another thread: /);
  assert.match(e.message, /\{"key":\d,"value":\d+,"format":"\[function format\]"\}/, `expected the record, its function shown: ${e.message}`);
  assert.match(e.message, /could not be cloned\. Records that cross threads must be structured-cloneable data/);
  assert.match((e.cause as Error).message, /could not be cloned/, 'expected the clone error as the cause');
  assert.is(failures.length, 1, `expected one 'failed' event, got ${failures.length}`);
  assertNothingLeft(before, 'after a record could not cross threads');
});

Crossing('a batch that waited for credit fails the same way when the credit comes, instead of killing its thread', async () => {
  // One batch in flight to the caller's thread: the batch holding record 150 waits in the backlog
  // until collected() takes the first one, and is sent from the credit handler.
  const h = await run(fixture('late-function'), { parallelism: 1, workers: 1, batchSize: 100, collectCapacity: 1, params: { count: 1_000, at: 150 } });
  const error = await rejectionOf(h.collected('events'), 'collected() of late-function');
  assert.is((error as WeirError).code, 'WEIR_E_NOT_CLONEABLE', `expected WEIR_E_NOT_CLONEABLE, got: ${error.message}`);
  assert.match(error.message, /emitted a record that cannot be sent to output "events" on another thread: \{"value":150,"callback":"\[function \(anonymous\)\]"\}/);
  assert.is(await rejectionOf(h.done, 'done of late-function'), error);
});

Crossing('records that stay in one thread are handed over as they are, functions included', async () => {
  for (const options of [
    { parallelism: 1, workers: 1 },
    { parallelism: 2, workers: 1 },
  ]) {
    // checkRecords off (the default outside these specs): nothing checks what never crosses.
    const h = await run(fixture('not-cloneable'), { ...options, checkRecords: false, params: { count: 2_000 } });
    const rendered = await watchdog(h.collected<string>('rendered'), 'not-cloneable on one thread');
    assert.is(rendered.length, 2_000, `expected every offer rendered at ${JSON.stringify(options)}`);
    assert.ok(rendered.includes('#1999'));
  }
});

Crossing('with checkRecords, the same records fail on one thread too, as they would across threads', async () => {
  const h = await run(fixture('not-cloneable'), { parallelism: 2, workers: 1, checkRecords: true, params: { count: 2_000 } });
  const error = await rejectionOf(h.done, 'done of not-cloneable with checkRecords');
  assert.is(error.code, 'WEIR_E_NOT_CLONEABLE', `expected WEIR_E_NOT_CLONEABLE on one thread, got ${error.code}: ${error.message}`);
  assert.match(error.message, /operator "offers" \(subtask [12]\/2\) emitted a record that cannot be sent to render → collect#2 [12]\/2/);
});

Crossing.run();
