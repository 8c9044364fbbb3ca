import { availableParallelism } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run, WeirError } from 'weir';
import { resolveOptions } from '../lib/runtime/options.ts';
import { ManualClock } from '../lib/util/clock.ts';
import { assertNothingLeft, fixture, rejectionOf, resourceCounts, thrownBy } from './helpers.ts';

const ALL_OPTIONS = [
  'parallelism',
  'workers',
  'maxParallelism',
  'mailboxCapacity',
  'batchSize',
  'bufferTimeoutMs',
  'collectCapacity',
  'chaining',
  'workerMemoryMb',
  'params',
];

/** Asserts an option error: the code, the option's name, what was given, and what is allowed. */
function assertOptionError(error: Error & { code?: string }, option: string, allowed: RegExp, given?: string): void {
  assert.instance(error, WeirError, `expected a WeirError for ${option}`);
  assert.is(error.code, 'WEIR_E_OPTION', `expected code WEIR_E_OPTION for ${option}, got ${error.code}: ${error.message}`);
  assert.ok(error.message.includes(`"${option}"`), `expected the message to name the option "${option}": ${error.message}`);
  assert.match(error.message, allowed, `expected the message to say what ${option} allows: ${error.message}`);
  if (given !== undefined) assert.ok(error.message.includes(given), `expected the message to quote the value ${given}: ${error.message}`);
}

const Resolve = suite('resolveOptions');

Resolve('fills in defaults: parallelism follows workers, which follow the cores', () => {
  const o = resolveOptions(undefined);
  assert.is(o.workers, availableParallelism(), 'expected workers to default to the available cores');
  assert.is(o.parallelism, o.workers, 'expected parallelism to default to workers');
  assert.is(o.maxParallelism, 128, 'expected maxParallelism 128 by default');
  assert.is(o.mailboxCapacity, 16, 'expected mailboxCapacity 16 by default');
  assert.is(o.batchSize, 4096, 'expected batchSize 4096 by default');
  assert.is(o.bufferTimeoutMs, 10, 'expected bufferTimeoutMs 10 by default');
  assert.is(o.collectCapacity, 256, 'expected collectCapacity 256 by default');
  assert.is(o.chaining, true, 'expected chaining on by default');
  assert.is(o.workerMemoryMb, undefined, 'expected no worker memory limit by default');
  assert.is(resolveOptions({ workers: 3 }).parallelism, 3, 'expected parallelism to follow an explicit workers');
  assert.equal(resolveOptions({}), o, 'expected {} to resolve like undefined');
});

Resolve('keeps valid values as given', () => {
  const clock = new ManualClock();
  const given = {
    parallelism: 6,
    workers: 2,
    maxParallelism: 64,
    mailboxCapacity: 1,
    mailboxBytes: 4096,
    batchSize: 1,
    batchBytes: 2048,
    bufferTimeoutMs: 0,
    watermarkIntervalMs: 50,
    collectCapacity: 1,
    collectBytes: 8192,
    chaining: false,
    checkRecords: true,
    workerMemoryMb: 64,
    clock,
    params: { a: [1, 'x', null, true, { b: 2.5 }] },
    checkpointIntervalMs: 1000,
    checkpointTimeoutMs: 5000,
    checkpointsRetained: 3,
    restoreFrom: { format: 'weir-checkpoint', version: 1, job: 'j', id: 1, triggeredAt: 0, completedAt: 0, maxParallelism: 64, operators: {}, splits: {}, summary: { id: 1, durationMs: 0, bytes: 0, alignmentMs: {} } } as const,
    restart: { type: 'exponential-backoff', initialMs: 10, maxMs: 100, multiplier: 2, jitter: 0.5, resetAfterMs: 1000, attempts: 4 } as const,
    actorTimeoutMs: 30_000,
    poison: { after: 2, policy: 'skip' } as const,
    allowNonRestoredState: true,
  };
  assert.equal({ ...resolveOptions(given) }, given, 'expected every valid option to be kept');
});

Resolve('parallelism 0, 1.5 and "two" are refused, naming the option and the allowed values', () => {
  for (const [bad, shown] of [[0, '0'], [1.5, '1.5'], ['two', '"two"'], [-2, '-2'], [NaN, 'NaN']] as const) {
    const error = thrownBy(() => resolveOptions({ parallelism: bad }), `parallelism ${shown}`);
    assertOptionError(error, 'parallelism', /whole number from 1 to 128/, `got ${shown}`);
  }
});

Resolve('parallelism above maxParallelism is refused with the actual bound', () => {
  const error = thrownBy(() => resolveOptions({ parallelism: 9, maxParallelism: 8 }), 'parallelism 9 > maxParallelism 8');
  assertOptionError(error, 'parallelism', /from 1 to 8/, 'got 9');
});

Resolve('workers 0 is refused, naming the option and the allowed values', () => {
  for (const bad of [0, 2.5, '2', null]) {
    const error = thrownBy(() => resolveOptions({ workers: bad }), `workers ${String(bad)}`);
    assertOptionError(error, 'workers', /whole number from 1 to \d+/);
  }
});

Resolve('every numeric option names itself and its range when wrong', () => {
  const cases: [string, unknown, RegExp][] = [
    ['maxParallelism', 0, /from 1 to 32768/],
    ['mailboxCapacity', 0, /from 1 to 1024/],
    ['batchSize', 0, /from 1 to 65536/],
    ['bufferTimeoutMs', -1, /milliseconds from 0 to 60000/],
    ['bufferTimeoutMs', Infinity, /milliseconds from 0 to 60000/],
    ['collectCapacity', 0, /whole number from 1/],
    ['workerMemoryMb', 8, /whole number from 16/],
  ];
  for (const [option, bad, allowed] of cases) {
    const error = thrownBy(() => resolveOptions({ [option]: bad }), `${option} ${String(bad)}`);
    assertOptionError(error, option, allowed);
  }
});

Resolve('chaining must be a boolean: "no", 0 and null are refused', () => {
  for (const bad of ['no', 0, null]) {
    const error = thrownBy(() => resolveOptions({ chaining: bad }), `chaining ${String(bad)}`);
    assertOptionError(error, 'chaining', /true or false/);
  }
});

Resolve('an unknown option such as "paralelism" is refused, listing the allowed options', () => {
  const error = thrownBy(() => resolveOptions({ paralelism: 2 }), 'unknown option paralelism');
  assertOptionError(error, 'paralelism', /allowed options are/);
  for (const name of ALL_OPTIONS) {
    assert.ok(error.message.includes(name), `expected the list of allowed options to include ${name}: ${error.message}`);
  }
});

Resolve('options that are not an object are refused', () => {
  for (const bad of [2, 'fast', null, [1, 2]]) {
    const error = thrownBy(() => resolveOptions(bad), `options ${JSON.stringify(bad)}`);
    assertOptionError(error, 'options', /an object/);
  }
});

Resolve('params that are not JSON are refused by path: a function, a Date, NaN', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ parse: () => 1 }, 'params.parse', /function/],
    [{ when: new Date(0) }, 'params.when', /Date/],
    [{ limits: { low: NaN } }, 'params.limits.low', /NaN/],
    [{ list: [1, 2, Infinity] }, 'params.list[2]', /Infinity/],
    [{ nested: [{ ok: 1 }, { seen: new Map() }] }, 'params.nested[1].seen', /Map/],
    [{ big: 10n }, 'params.big', /bigint/],
    [() => 1, 'params', /function/],
  ];
  for (const [params, path, reason] of cases) {
    const error = thrownBy(() => resolveOptions({ params }), `params at ${path}`);
    assert.instance(error, WeirError, `expected a WeirError for ${path}`);
    assert.is(error.code, 'WEIR_E_PARAMS', `expected code WEIR_E_PARAMS for ${path}, got ${error.code}`);
    assert.ok(error.message.includes(`${path} `), `expected the message to name the path ${path}: ${error.message}`);
    assert.match(error.message, reason, `expected the message to say what ${path} is: ${error.message}`);
    assert.match(error.message, /JSON/, `expected the message to say params must be JSON: ${error.message}`);
  }
});

Resolve('plain JSON params, including objects without a prototype, are accepted', () => {
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
  assert.equal(resolveOptions({ params: { bare, s: 'x', n: -0.5, b: false, z: null } }).params, { bare, s: 'x', n: -0.5, b: false, z: null });
  assert.is(resolveOptions({ params: 'just a string' }).params, 'just a string', 'expected a string to be valid params');
});

Resolve.run();

const Run = suite('run() with bad options');

Run('rejects (never throws synchronously) with the same errors, and starts no worker thread', async () => {
  const before = resourceCounts();
  const cases: [Record<string, unknown>, string, string][] = [
    [{ parallelism: 0 }, 'WEIR_E_OPTION', '"parallelism"'],
    [{ parallelism: 'two' }, 'WEIR_E_OPTION', '"parallelism"'],
    [{ workers: 0 }, 'WEIR_E_OPTION', '"workers"'],
    [{ paralelism: 2 }, 'WEIR_E_OPTION', '"paralelism"'],
    [{ params: { when: new Date(0) } }, 'WEIR_E_PARAMS', 'params.when'],
  ];
  for (const [options, code, mention] of cases) {
    let started: Promise<unknown> | undefined;
    try {
      started = run(fixture('numbers'), options as never);
    } catch (error) {
      assert.unreachable(`expected run(${JSON.stringify(options)}) to return a rejected promise, it threw: ${(error as Error).message}`);
    }
    const error = await rejectionOf(started!, `run() with ${JSON.stringify(options)}`);
    assert.instance(error, WeirError, 'expected a WeirError');
    assert.is(error.code, code, `expected ${code} for ${JSON.stringify(options)}, got ${error.code}: ${error.message}`);
    assert.ok(error.message.includes(mention), `expected the message to mention ${mention}: ${error.message}`);
  }
  assertNothingLeft(before, 'run() with bad options');
});

Run('rejects options that would make a keyed job impossible before starting threads', async () => {
  const before = resourceCounts();
  const error = await rejectionOf(
    run(fixture('keyed-sum'), { parallelism: 4, maxParallelism: 2, workers: 1, params: { records: 10, keys: 2 } }),
    'run() with parallelism above maxParallelism',
  );
  assert.is(error.code, 'WEIR_E_OPTION', `expected WEIR_E_OPTION, got ${error.code}: ${error.message}`);
  assertNothingLeft(before, 'run() with parallelism above maxParallelism');
});

Run.run();

const Restart = suite('resolveOptions: restart and actorTimeoutMs');

Restart('no restart by default; with periodic checkpoints, three restarts a second apart; no actor timeout', () => {
  assert.equal(resolveOptions({}).restart, { type: 'none' });
  assert.equal(resolveOptions({ checkpointIntervalMs: 500 }).restart, { type: 'fixed-delay', attempts: 3, delayMs: 1000 });
  assert.equal(resolveOptions({ checkpointIntervalMs: 500, restart: { type: 'none' } }).restart, { type: 'none' });
  assert.is(resolveOptions({}).actorTimeoutMs, undefined);
});

Restart('a strategy that is not one, or is out of range, is refused naming the option', () => {
  for (const bad of ['always', null, { type: 'sometimes' }, { type: 'none', attempts: 1 }]) {
    assertOptionError(thrownBy(() => resolveOptions({ restart: bad }), `restart ${JSON.stringify(bad)}`), 'restart', /a restart strategy/, 'got');
  }
  const error = thrownBy(() => resolveOptions({ restart: { type: 'fixed-delay', attempts: -1, delayMs: 10 } }), 'attempts -1');
  assert.match(error.message, 'restarts.fixedDelay.attempts');
  assertOptionError(thrownBy(() => resolveOptions({ actorTimeoutMs: 5 }), 'actorTimeoutMs 5'), 'actorTimeoutMs', /milliseconds from 10/, 'got 5');
});

Restart.run();
