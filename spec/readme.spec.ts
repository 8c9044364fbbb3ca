/**
 * The README's code is real: every block marked `<!-- file: path -->` is that file verbatim (and the
 * files compile, since `npm test` type-checks examples/), the walk-through runs, and the options
 * table states the defaults that `run()` applies.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { countWords } from '../examples/daemon.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { assertNothingLeft, resourceCounts, Runtime, watchdog } from './helpers.ts';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

const readmeSpec = suite('README');

readmeSpec('every block marked with a file shows that file verbatim', () => {
  const blocks = [...readme.matchAll(/<!-- file: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
  assert.ok(blocks.length >= 2, `expected the walk-through's file blocks, found ${blocks.length}`);
  for (const [, path, code] of blocks) {
    const file = readFileSync(new URL(path!, root), 'utf8');
    assert.fixture(code!, file, `README's copy of ${path} differs from the file: update the README`);
  }
});

readmeSpec('the walk-through job counts words, job after job, on the runtime of a long-lived process', async () => {
  const before = resourceCounts();
  const runtime = new Runtime({ workers: 2 });
  for (const lines of [['The river and the weir', 'a weir holds the river back', '', 'THE END'], ['weir weir', 'river']]) {
    const counts = await watchdog(countWords(runtime, lines), 'examples/daemon.ts');
    const expected = new Map<string, number>();
    for (const word of lines.join(' ').toLowerCase().split(/\W+/).filter(Boolean)) expected.set(word, (expected.get(word) ?? 0) + 1);
    assert.equal(Object.fromEntries([...counts].sort()), Object.fromEntries([...expected].sort()));
  }
  await runtime.close();
  assertNothingLeft(before, 'examples/daemon.ts');
});

readmeSpec('the options table states the defaults run() applies', () => {
  const defaults = resolveOptions({ workers: 2 });
  const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map(([, name, value]) => [name!, value!.trim()]));
  for (const option of ['maxParallelism', 'mailboxCapacity', 'batchSize', 'bufferTimeoutMs', 'collectCapacity', 'chaining', 'checkRecords'] as const) {
    assert.is(rows.get(option), String(defaults[option]), `README's default of ${option}`);
  }
  for (const option of ['mailboxBytes', 'batchBytes', 'collectBytes'] as const) {
    const shown = /^(\d+) MiB$/.exec(rows.get(option) ?? '');
    assert.ok(shown, `expected README's default of ${option} in MiB, got ${rows.get(option)}`);
    assert.is(Number(shown![1]) * 2 ** 20, defaults[option], `README's default of ${option}`);
  }
  for (const option of ['parallelism', 'workers', 'workerMemoryMb', 'params', 'clock']) assert.ok(rows.has(option), `README lists ${option}`);
});

readmeSpec.run();
