/** `weir run` as a person runs it: a real process, its exit code, and what it prints. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the built CLI (npm test builds it first) in the project folder. */
function weir(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/bin/weir.js', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: withoutNodeWarnings(r.stderr) };
}

/**
 * stderr without Node's own warnings (`(node:1234) ExperimentalWarning: …` and the
 * `(Use \`node --trace-warnings …\`…)` line after it), which depend on the Node version, not on weir.
 */
function withoutNodeWarnings(stderr: string): string {
  return stderr
    .split(/(?<=\n)/)
    .filter((line) => !/^\(node:\d+\) (\[\w+\] )?\w*Warning: /.test(line) && !/^\(Use `node --trace-[\w-]+ \.\.\.` to show where the warning was created\)/.test(line))
    .join('');
}

const cli = suite('weir run');

cli('runs a TypeScript job module and prints a summary and its outputs', () => {
  const r = weir('run', 'examples/word-count.ts', '-q', '-w', '2', '--param', 'lines=["a b","b c"]');
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
  assert.match(r.stdout, /^word-count finished in [\d.]+s: 2 records, .* CPU\/record on 2 worker threads/);
  assert.match(r.stdout, /\n {2}output "counts": 4 records; last 3:\n( {4}\{"word":"[a-c]","count":[12]\}\n){3}$/, 'expected the last records one per line');
});

cli('the flagship example, small: a row per operator, then each of its four outputs with its last records', () => {
  const r = weir('run', 'examples/stock-vwap.ts', '-q', '-w', '2', '--param', 'trades=20000', '--param', 'symbols=5', '--param', 'spikes=0.002');
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
  assert.match(r.stdout, /^stock-vwap finished in [\d.]+s: 20\.0k records, /);
  for (const row of ['trades → event time', 'candles', 'candles out', 'sma → sma out', 'alerts', 'alerts out', 'vwap → sample → vwap out']) {
    assert.match(r.stdout, new RegExp(`\n {2}${row} +p=2 `), `expected a row for ${row}`);
  }
  for (const [output, field] of [['candles', 'open'], ['sma', 'sma'], ['alerts', 'kind'], ['vwap', 'vwap']]) {
    assert.match(r.stdout, new RegExp(`\n {2}output "${output}": \\d+ records; last 3:\n( {4}\\{"symbol":.*"${field}":.*\\}\n){3}`), `expected the last ${output} one per line`);
  }
});

cli('--no-chaining lists every operator as an actor of its own; one worker is "1 worker thread"', () => {
  const lines = (...extra: string[]) => {
    const r = weir('run', 'examples/word-count.ts', '-q', '-p', '1', '-w', '1', ...extra, '--param', 'lines=["a b","b c"]');
    assert.is(r.stderr, '');
    assert.is(r.status, 0);
    assert.match(r.stdout, /CPU\/record on 1 worker thread \(/);
    return r.stdout.split('\n').filter((line) => / p=1 /.test(line)).map((line) => line.split(/\s+p=1/)[0]!.trim());
  };
  assert.equal(lines(), ['fromArray#0 → flatMap#1 → filter#2 → count → collect#4'], 'expected one chain at parallelism 1');
  assert.equal(lines('--no-chaining'), ['fromArray#0', 'flatMap#1', 'filter#2', 'count', 'collect#4'], 'expected one line per operator');
});

cli('a wrong parameter fails with the option it got wrong, not a stack trace', () => {
  const r = weir('run', 'spec/fixtures/word-source.ts', '-q', '-w', '1', '--param', 'lines=3');
  assert.is(r.status, 1);
  assert.is(r.stderr, 'weir: Invalid option "fromArray items": got 3; allowed: an array (pass lists through params as JSON arrays).\n');
  assert.is(r.stdout, '');
});

cli('a module that does not exist is named', () => {
  const r = weir('run', 'examples/no-such-job.ts');
  assert.is(r.status, 1);
  assert.match(r.stderr, /^weir: Job module not found: file:\/\/.*\/examples\/no-such-job\.ts\. Pass the path/);
});

cli('an unknown flag and a missing command point to the help', () => {
  const unknown = weir('run', 'examples/word-count.ts', '--nope');
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /^weir: Unknown option '--nope'\. See weir --help\.\n$/);
  const bare = weir();
  assert.is(bare.status, 2);
  assert.match(bare.stderr, /^Usage: weir run <job-module/);
  const help = weir('--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /--mailbox-capacity N {3}batches in flight per channel between threads \(default 16\)/);
});

cli('extra arguments after the module are refused in one line that points to --param', () => {
  const r = weir('run', 'examples/word-count.ts', 'extra', 'args');
  assert.is(r.status, 2, `expected exit code 2, got ${r.status}`);
  assert.match(r.stderr, /^weir: [^\n]*\n$/, `expected one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.ok(r.stderr.includes('"extra" "args"'), `expected the message to name the extra arguments: ${r.stderr}`);
  assert.ok(r.stderr.includes('--param key=value'), `expected the message to point to --param: ${r.stderr}`);
  assert.is(r.stdout, '', 'expected nothing on stdout');
});

cli.run();

/**
 * Runs the built CLI until its stdout shows `ready`, then sends it one SIGINT (Ctrl-C); resolves
 * with how it exited. Waits for the line, never for a time.
 */
function interrupted(ready: RegExp, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/bin/weir.js', ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!sent && ready.test(stdout)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr: withoutNodeWarnings(stderr) })));
}

const Savepoints = suite('weir run with savepoints');

Savepoints('Ctrl-C with --savepoint-on-stop writes a savepoint and exits 0; --from resumes it to the result of a straight run', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'weir-cli-savepoint-'));
  try {
    const dir = join(scratch, 'sp');
    const job = ['run', 'spec/fixtures/savepoint-totals.ts', '-q', '-w', '2', '-p', '2', '--param', 'count=3000'];
    // The sources pause after 400 records each: the job is still running whenever Ctrl-C comes.
    const stopped = await interrupted(/Ctrl-C stops it with a savepoint/, ...job, '--param', 'pauseAt=400', '--savepoint-on-stop', dir);
    assert.is(stopped.stderr, '');
    assert.is(stopped.status, 0, stopped.stdout);
    assert.match(stopped.stdout, /^savepoint-totals running; Ctrl-C stops it with a savepoint in .*\nsavepoint-totals stopped in /);
    assert.match(stopped.stdout, `\nsavepoint (checkpoint 1) written to ${dir}\n  resume with: weir run spec/fixtures/savepoint-totals.ts --from ${dir}\n`);
    assert.match(stopped.stdout, /\n {2}output "latest": 0 records\n/, 'nothing is emitted at the end of input, which a stop never signals');
    assert.equal((await readdir(dir)).sort(), ['_metadata.json', 'state.json']);
    const resumed = weir(...job, '--from', dir);
    assert.is(resumed.stderr, '');
    assert.is(resumed.status, 0);
    const straight = weir(...job);
    assert.is(straight.status, 0);
    const result = (r: { stdout: string }) => /\n {2}output "latest": 1 records; last one:\n {4}(.*)\n/.exec(r.stdout)?.[1];
    assert.ok(result(straight)?.startsWith('[{"key":"k0","n":600,'), `the straight run's totals: ${straight.stdout}`);
    assert.is(result(resumed), result(straight), 'the resumed run ends with the straight run\'s totals');
    const again = weir(...job, '--savepoint-on-stop', dir);
    assert.is(again.status, 1, 'a directory that holds a savepoint is refused before the job runs');
    assert.is(again.stderr, `weir: No savepoint can be written to ${dir}: it already holds a savepoint; give a directory that does not exist yet (or an empty one), or delete this one.\n`);
    assert.is(again.stdout, '');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

Savepoints.run();

const Warnings = suite('withoutNodeWarnings');

Warnings('drops the lines of Node’s own warnings and keeps everything else', () => {
  const stderr =
    '(node:4242) ExperimentalWarning: Type Stripping is an experimental feature and might change at any time\n' +
    '(Use `node --trace-warnings ...` to show where the warning was created)\n' +
    'weir: Unknown option \'--nope\'. See weir --help.\n' +
    '(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.\n';
  assert.is(withoutNodeWarnings(stderr), "weir: Unknown option '--nope'. See weir --help.\n");
  assert.is(withoutNodeWarnings(''), '');
  assert.is(withoutNodeWarnings('weir: (node:1) is not a warning\n'), 'weir: (node:1) is not a warning\n');
});

Warnings.run();
