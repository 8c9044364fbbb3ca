/**
 * weir in a process that disallows code generation from strings (a hardened embedder's policy):
 * the codec and the per-stage copies of hot functions fall back to interpreted loops, and nothing
 * else changes. Each test is a real process started with the flag.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));

function hardened(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const Hardened = suite('without code generation from strings');

Hardened('jobs move every kind of record between threads unchanged, and the bid job matches the loop', () => {
  const r = hardened('spec/fixtures/without-code-generation.ts');
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
  assert.equal(JSON.parse(r.stdout), { roundtrip: 6000, auctions: 2115 });
});

Hardened("the batch codec's whole spec holds with interpreted loops", () => {
  const r = hardened('spec/codec.spec.ts');
  // uvu's summary, without its colours
  const summary = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(summary)?.[1]);
  const passed = Number(/Passed:\s+(\d+)/.exec(summary)?.[1]);
  assert.is(r.status, 0, `expected the codec spec to pass:\n${summary}${r.stderr}`);
  assert.ok(total >= 20, `expected the codec spec to run its tests, got ${total}`);
  assert.is(passed, total);
});

Hardened.run();
