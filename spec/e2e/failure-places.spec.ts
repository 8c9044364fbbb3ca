/** Every failure carries its place: the source that threw, the module that would not load, the option that was wrong. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from 'weir';
import type { Params as SourceParams } from '../fixtures/failing-source.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, run, Runtime, thrownBy } from '../helpers.ts';

const Reading = suite('a source whose user code throws while reading');

/** Runs failing-source until it fails, and checks what every failure of it must carry. */
async function sourceFailure(params: SourceParams, parallelism: number, expected: { subtask: string; cause: string }): Promise<void> {
  const before = resourceCounts();
  const h = await run(fixture('failing-source'), { parallelism, workers: parallelism, params });
  const error = await rejectionOf(h.done, `done of failing-source (${params.source})`);
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  const e = error as WeirError;
  assert.is(e.code, 'WEIR_E_USER_FUNCTION', `expected code WEIR_E_USER_FUNCTION, got ${e.code}: ${e.message}`);
  assert.is(
    e.message,
    `Job "failing-source" failed: operator "ticks" (subtask ${expected.subtask}) threw while reading: ${expected.cause}`,
    'expected the message to name the job, the source, its subtask, that it was reading, and the cause',
  );
  assert.is(e.job, 'failing-source', `expected error.job "failing-source", got ${e.job}`);
  assert.is(e.operator, 'ticks', `expected error.operator to be the source's name "ticks", not the map chained to it; got ${e.operator}`);
  assert.is(e.subtask, expected.subtask, `expected error.subtask ${expected.subtask}, got ${e.subtask}`);
  const cause = e.cause as Error;
  assert.instance(cause, Error, 'expected error.cause to be an Error');
  assert.is(cause.name, 'FeedError', `expected the cause to keep the user's error class name, got ${cause.name}`);
  assert.is(cause.message, expected.cause, "expected the cause to be the user's error");
  assert.is(h.status, 'failed', `expected status failed, got ${h.status}`);
  assertNothingLeft(before, `after failing-source (${params.source}) failed`);
}

Reading('generate(fn) whose fn throws at one index fails the job naming the source, its subtask and "reading"', async () => {
  // round-robin at parallelism 2: the odd index 4243 is read by subtask 2/2.
  await sourceFailure({ source: 'generate', failAt: 4243, count: 100_000 }, 2, { subtask: '2/2', cause: 'no tick at index 4243' });
});

Reading('fromIterable(() => generator) whose generator throws after some items fails the job the same way', async () => {
  await sourceFailure({ source: 'iterable', failAt: 2500, count: 10_000 }, 1, { subtask: '1/1', cause: 'feed broke after 2500 items' });
});

Reading.run();

const Loading = suite('a job module that cannot be loaded');

/** Asserts the WEIR_E_MODULE error of a module that exists but does not load. */
function assertModuleError(error: Error & { code?: string; cause?: unknown }, url: string): void {
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  assert.is(error.code, 'WEIR_E_MODULE', `expected code WEIR_E_MODULE, got ${error.code}: ${error.message}`);
  assert.ok(error.message.includes(url), `expected the message to name the module ${url}: ${error.message}`);
  const cause = error.cause as Error;
  assert.instance(cause, Error, 'expected the error of the import as the cause');
  assert.ok(cause.message.length > 0, 'expected the cause to have a message');
  assert.ok(error.message.includes(cause.message), `expected the message to carry the cause's message "${cause.message}": ${error.message}`);
}

Loading('a module with a syntax error makes run() reject with WEIR_E_MODULE, naming the module and the parser’s complaint', async () => {
  // Written at test time outside the project: a .ts file with a syntax error in spec/ would break the type check.
  const dir = mkdtempSync(join(tmpdir(), 'weir-spec-'));
  const file = join(dir, 'syntax-error.ts');
  writeFileSync(file, "import { job, sources, sinks } from 'weir';\n\nexport default job('broken', (env) => {\n  env.from(sources.fromArray([1, 2]).to(sinks.discard());\n});\n");
  try {
    const before = resourceCounts();
    const url = pathToFileURL(file).href;
    const error = await rejectionOf(run(url, { workers: 1 }), 'run() of a module with a syntax error');
    assertModuleError(error, url);
    assert.match((error.cause as Error).message, /syntax-error\.ts:4:/, `expected the cause to point at line 4: ${(error.cause as Error).message}`);
    assertNothingLeft(before, 'after run() of a module with a syntax error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Loading('a module whose top level throws makes run() reject with WEIR_E_MODULE, naming the module and carrying the error', async () => {
  const before = resourceCounts();
  const url = fixture('import-throws').href;
  const error = await rejectionOf(run(url, { workers: 1 }), 'run(import-throws)');
  assertModuleError(error, url);
  assert.is((error.cause as Error).message, 'setting FEED_TOPIC is missing', 'expected the cause to be the error the module threw');
  assertNothingLeft(before, 'after run(import-throws)');
});

Loading.run();

const Refused = suite('options refused before a thread starts');

Refused('circular params make run() reject with WEIR_E_PARAMS, naming the path that refers back', async () => {
  const before = resourceCounts();
  const self: Record<string, unknown> = {};
  self['self'] = self;
  const feed: Record<string, unknown> = { topic: 't' };
  const nested = { limit: 3, feed: { ...feed, mirrors: [{ url: 'a' }, feed] } };
  feed['mirrors'] = nested.feed.mirrors;
  for (const [params, path, target] of [
    [self, 'params.self', 'params'],
    [nested, 'params.feed.mirrors[1].mirrors', 'params.feed.mirrors'],
  ] as const) {
    const error = await rejectionOf(run(fixture('numbers'), { workers: 1, params }), `run() with a cycle at ${path}`);
    assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
    assert.is(error.code, 'WEIR_E_PARAMS', `expected code WEIR_E_PARAMS, got ${error.code}: ${error.message}`);
    assert.ok(error.message.includes(`${path} refers back to ${target} (a cycle)`), `expected the message to name ${path} → ${target}: ${error.message}`);
  }
  assertNothingLeft(before, 'after run() refused circular params');
});

Refused('new Runtime() of something that is not an options object throws WEIR_E_OPTION, not a TypeError', () => {
  for (const options of [null, 5, 'workers', [2]]) {
    const error = thrownBy(() => new Runtime(options as never), `new Runtime(${JSON.stringify(options)})`);
    assert.instance(error, WeirError, `expected a WeirError for ${JSON.stringify(options)}, got ${error.name}: ${error.message}`);
    assert.is(error.code, 'WEIR_E_OPTION', `expected code WEIR_E_OPTION, got ${error.code}`);
    assert.match(error.message, /^Invalid option "options": got .*; allowed: an object such as \{ workers: 2 \}\.$/, `unexpected message: ${error.message}`);
  }
});

Refused('runtime.run refuses an unknown option listing the options a job takes, workerMemoryMb not among them', async () => {
  const runtime = new Runtime({ workers: 1 });
  try {
    const error = await rejectionOf(runtime.run(fixture('numbers'), { wokers: 1 } as never), 'runtime.run with "wokers"');
    assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
    assert.is(error.code, 'WEIR_E_OPTION', `expected code WEIR_E_OPTION, got ${error.code}`);
    const listed = /^Unknown option "wokers"; allowed options are: (.+)\.$/.exec(error.message);
    assert.ok(listed, `expected the message to name "wokers" and list the allowed options: ${error.message}`);
    const allowed = listed![1]!.split(', ');
    for (const option of ['workers', 'parallelism', 'params', 'clock']) {
      assert.ok(allowed.includes(option), `expected "${option}" among the allowed options: ${allowed.join(', ')}`);
    }
    assert.not.ok(allowed.includes('workerMemoryMb'), `expected workerMemoryMb not to be offered to a job on a runtime: ${allowed.join(', ')}`);

    const memory = await rejectionOf(runtime.run(fixture('numbers'), { workerMemoryMb: 64 } as never), 'runtime.run with workerMemoryMb');
    assert.is(memory.code, 'WEIR_E_OPTION', `expected code WEIR_E_OPTION, got ${memory.code}`);
    assert.ok(memory.message.startsWith('Invalid option "workerMemoryMb": got 64;'), `expected the message to name the option and value: ${memory.message}`);
    assert.ok(memory.message.includes('it is set on the runtime, new Runtime({ workerMemoryMb })'), `expected the message to say where it is set: ${memory.message}`);
  } finally {
    await runtime.close();
  }
});

Refused.run();

const State = suite('keyed state asked for where there is no key');

State('an operator on a stream that is not keyed gets WEIR_E_STATE naming it, not keys made up', async () => {
  const before = resourceCounts();
  const h = await run(fixture('unkeyed-state'), { parallelism: 1, workers: 1 });
  const error = await rejectionOf(h.done, 'done of unkeyed-state');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  assert.is(error.code, 'WEIR_E_STATE', `expected WEIR_E_STATE, got ${error.code}: ${error.message}`);
  assert.match(error.message, /operator "counter" asked for keyed state "count", but its input is not keyed/, `unexpected message: ${error.message}`);
  assert.match(error.message, /keyBy\(fn\)\.transform/, `expected the message to say what to do: ${error.message}`);
  assert.is((error as WeirError).operator, 'counter');
  assertNothingLeft(before, 'after unkeyed-state');
});

State.run();

const Firing = suite('a window function that throws when its window fires');

Firing('fails the job naming the operator, the window and the key', async () => {
  const h = await run(fixture('failing-window'), { parallelism: 1, workers: 1, params: { failKey: 'k2' } });
  const error = await rejectionOf(h.done, 'done of failing-window');
  assert.instance(error, WeirError, `expected a WeirError, got ${error.name}: ${error.message}`);
  const e = error as WeirError;
  assert.is(e.code, 'WEIR_E_USER_FUNCTION', e.message);
  assert.is(e.operator, 'totals', `expected the window operator "totals", got ${e.operator}`);
  assert.ok(e.message.includes('window [0, 10) of key "k2": no total for k2'), `expected the window and key in: ${e.message}`);
});

Firing.run();
