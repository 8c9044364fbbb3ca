/**
 * A state kept in an operator's own structure (`KeyedValuesView`, the window operator's tables per
 * window) is keyed state like any other to the backend: snapshots take its values by key group,
 * through JSON, and restores at any parallelism give each subtask exactly its keys, whether they
 * come before the view is attached (a worker restores after open, a harness before) or after.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from '../lib/errors.ts';
import { keyGroupOf, keyGroupRange, type Key } from '../lib/state/key-groups.ts';
import { KeyedStateBackend, type KeyedStateSnapshot } from '../lib/state/keyed-state-backend.ts';
import type { KeyedValuesView } from '../lib/state/keyed-values-view.ts';
import { state } from '../lib/state/state-descriptors.ts';

const at = { job: 'views', operator: 'op', subtaskIndex: 0, parallelism: 1 };
const MAX_PARALLELISM = 128;

/** The plainest view: a Map the test reads. */
const mapView = (byKey = new Map<Key, unknown>()): KeyedValuesView & { byKey: Map<Key, unknown> } => ({
  byKey,
  keys: () => byKey.keys(),
  entries: () => byKey,
  restore: (key, value) => void byKey.set(key, value),
  get size() {
    return byKey.size;
  },
});

const viaJson = <T>(snapshot: T): T => JSON.parse(JSON.stringify(snapshot)) as T;

const View = suite('keyed state in an operator’s own structure');

View('a snapshot restored at any parallelism gives each subtask exactly its keys, attached before or after the restore', () => {
  const entries = fc.uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.string({ maxLength: 6 })), fc.array(fc.integer(), { maxLength: 4 })), { selector: ([k]) => k, maxLength: 60 });
  fc.assert(
    fc.property(entries, fc.integer({ min: 1, max: 5 }), fc.boolean(), (kvs, parallelism, attachFirst) => {
      const source = new KeyedStateBackend(0, 1, MAX_PARALLELISM);
      const held = mapView(new Map(kvs));
      source.attach('1/windows', held, at);
      const snapshot = viaJson(source.snapshot('1/'));
      assert.equal(Object.keys(snapshot), ['windows']);
      const seen = new Map<Key, unknown>();
      for (let s = 0; s < parallelism; s++) {
        const backend = new KeyedStateBackend(s, parallelism, MAX_PARALLELISM);
        const view = mapView();
        if (attachFirst) backend.attach('1/windows', view, at);
        backend.restore(snapshot as KeyedStateSnapshot, '1/');
        if (!attachFirst) backend.attach('1/windows', view, at);
        const { start, end } = keyGroupRange(s, parallelism, MAX_PARALLELISM);
        for (const [key, value] of view.byKey) {
          const group = keyGroupOf(key, MAX_PARALLELISM);
          assert.ok(group >= start && group < end, `subtask ${s} got key ${JSON.stringify(key)} of group ${group}, outside [${start}, ${end})`);
          assert.not.ok(seen.has(key), `key ${JSON.stringify(key)} restored twice`);
          seen.set(key, value);
        }
        assert.is(backend.keyCount, view.byKey.size, 'expected the view counted in keyCount');
        assert.equal([...backend.keysOf('1/', { key: 0 })].sort(), [...view.byKey.keys()].sort(), 'expected the view listed by keysOf');
      }
      assert.equal(seen, new Map(kvs), 'expected every key restored once, with its value');
    }),
    { numRuns: 100 },
  );
});

View('a view is one declaration of its state: a handle on it, or a second view, is refused', () => {
  const backend = new KeyedStateBackend(0, 1, MAX_PARALLELISM);
  backend.attach('1/windows', mapView(), at);
  assert.throws(() => backend.handle('1/windows', state.value<number>(), { key: 0 }, at), (e: unknown) => e instanceof WeirError && /already a state of its own structure/.test(e.message));
  assert.throws(() => backend.attach('1/windows', mapView(), at), (e: unknown) => e instanceof WeirError && /declared state "windows"/.test(e.message));
  const other = new KeyedStateBackend(0, 1, MAX_PARALLELISM);
  other.handle('1/sums', state.value<number>(), { key: 0 }, at);
  assert.throws(() => other.attach('1/sums', mapView(), at), (e: unknown) => e instanceof WeirError && /already value state/.test(e.message));
});

View.run();
