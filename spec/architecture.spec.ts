/**
 * The tree keeps its layers: dependencies point one way. Contracts (operator, state) sit low, the
 * built-in operators in actors/ above them, the builder (lib/api) above both; the code that runs in
 * worker threads (lib/worker, lib/actor) never reaches into the coordinator's (lib/runtime), and
 * the other way round only the worker's entry file is named (by URL, for the thread pool).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../', import.meta.url));

/** What each part may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  'lib/util': [],
  'lib/errors.ts': [],
  'lib/state': ['lib/errors.ts', 'lib/util'],
  'lib/operator': ['lib/state', 'lib/util'],
  'lib/window': ['lib/operator', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/codec': ['lib/util'],
  'lib/graph': ['lib/operator', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/plan': ['lib/graph', 'lib/errors.ts'],
  'lib/checkpoint': ['lib/graph', 'lib/plan', 'lib/state', 'lib/codec', 'lib/errors.ts', 'lib/util'],
  'lib/protocol': ['lib/checkpoint', 'lib/plan', 'lib/errors.ts', 'lib/util'],
  'lib/channel': ['lib/codec', 'lib/protocol', 'lib/plan', 'lib/graph', 'lib/operator', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/metrics': ['lib/plan'],
  'lib/supervision': ['lib/metrics', 'lib/plan', 'lib/errors.ts', 'lib/util'],
  actors: ['lib/window', 'lib/operator', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/api': ['actors', 'lib/window', 'lib/graph', 'lib/operator', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/actor': ['lib/checkpoint', 'lib/channel', 'lib/operator', 'lib/state', 'lib/graph', 'lib/plan', 'lib/metrics', 'lib/protocol', 'lib/errors.ts', 'lib/util'],
  'lib/worker': ['lib/checkpoint', 'lib/actor', 'lib/channel', 'lib/api', 'lib/graph', 'lib/metrics', 'lib/plan', 'lib/protocol', 'lib/errors.ts', 'lib/util'],
  'lib/runtime': ['lib/supervision', 'lib/checkpoint', 'lib/api', 'lib/operator', 'lib/channel', 'lib/graph', 'lib/metrics', 'lib/plan', 'lib/protocol', 'lib/state', 'lib/errors.ts', 'lib/util'],
  'lib/cli': ['lib/runtime', 'lib/checkpoint', 'lib/errors.ts'],
  'lib/index.ts': ['*'],
};

const partOf = (file: string): string => {
  const rel = relative(root, file).split('\\').join('/');
  if (rel === 'lib/errors.ts' || rel === 'lib/index.ts') return rel;
  const [top, second] = rel.split('/');
  return top === 'lib' ? `lib/${second}` : top!;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, dynamic and type-only), resolved to paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s));
}

const Layers = suite('architecture: dependencies point one way');

Layers('every module of lib/ and actors/ imports only from the parts below it', () => {
  const files = [...sources(join(root, 'lib')), ...sources(join(root, 'actors'))];
  assert.ok(files.length > 50, `expected the sources, found ${files.length}`);
  const violations: string[] = [];
  for (const file of files) {
    const from = partOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `expected a rule for ${from} (${relative(root, file)}): add its folder to ALLOWED`);
    if (allowed!.includes('*')) continue;
    for (const target of importsOf(file)) {
      const to = partOf(target);
      if (to !== from && !allowed!.includes(to)) violations.push(`${relative(root, file)} imports ${relative(root, target)} (${from} → ${to})`);
    }
  }
  assert.equal(violations, [], `expected no import against the layers:\n${violations.join('\n')}`);
});

Layers('the coordinator names the worker entry only by URL, never by import', () => {
  const pool = readFileSync(join(root, 'lib/runtime/thread-pool.ts'), 'utf8');
  assert.match(pool, /new URL\(`\.\.\/worker\/worker-entry/, 'expected the thread pool to point its threads at lib/worker by URL');
});

Layers.run();
