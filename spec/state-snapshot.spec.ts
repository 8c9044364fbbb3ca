import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from '../lib/errors.ts';
import { BroadcastStateBackend, type BroadcastStateSnapshot } from '../lib/state/broadcast-state-backend.ts';
import { keyGroupOf, keyGroupRange, subtaskOfKeyGroup, type Key } from '../lib/state/key-groups.ts';
import { KeyedStateBackend, type KeyContext, type KeyedStateSnapshot } from '../lib/state/keyed-state-backend.ts';
import { OperatorStateBackend, type OperatorStateSnapshot } from '../lib/state/operator-state-backend.ts';
import { state } from '../lib/state/state-descriptors.ts';

const at = { job: 'snapshots', operator: 'op', subtaskIndex: 0, parallelism: 1 };

/** Through JSON and back, as a snapshot stored in a file would come. */
const viaJson = <T>(snapshot: T): T => JSON.parse(JSON.stringify(snapshot)) as T;

/** Time lines moved by hand, shared by every backend of a test. */
function clock() {
  const now = { processing: 0, event: -Infinity };
  return { now, time: { processing: () => now.processing, event: () => now.event } };
}

/** The states of operator 1 in every kind, with and without ttls, as the specs declare them. */
const DECLARATIONS = {
  value: state.value<unknown>(),
  list: state.list<number>(),
  map: state.map<Key, string>(),
  sum: state.reducing((a: number, b: number) => a + b),
  mean: state.aggregating({ create: () => [0, 0], add: ([s, n], v: number) => [s + v, n + 1], result: ([s, n]) => s / n }),
  ttlValue: state.value<string>(undefined, { ttl: { ms: 100 } }),
  ttlList: state.list<string>({ ttl: { ms: 100, time: 'event' } }),
  ttlMap: state.map<Key, number>({ ttl: { ms: 100, update: 'onReadAndWrite' } }),
};

function handles(backend: KeyedStateBackend, keys: KeyContext) {
  return {
    value: backend.handle('1/value', DECLARATIONS.value, keys, at),
    list: backend.handle('1/list', DECLARATIONS.list, keys, at),
    map: backend.handle('1/map', DECLARATIONS.map, keys, at),
    sum: backend.handle('1/sum', DECLARATIONS.sum, keys, at),
    mean: backend.handle('1/mean', DECLARATIONS.mean, keys, at),
    ttlValue: backend.handle('1/ttlValue', DECLARATIONS.ttlValue, keys, at),
    ttlList: backend.handle('1/ttlList', DECLARATIONS.ttlList, keys, at),
    ttlMap: backend.handle('1/ttlMap', DECLARATIONS.ttlMap, keys, at),
  };
}

/** Everything the handles read for the current key (reads that renew nothing: the ttl map renews on read, so it is read last). */
function read(s: ReturnType<typeof handles>) {
  return {
    value: s.value.value(),
    list: s.list.get(),
    map: [...s.map.entries()],
    sum: s.sum.get(),
    mean: s.mean.get(),
    ttlValue: s.ttlValue.value(),
    ttlList: s.ttlList.get(),
    ttlMap: [...s.ttlMap.entries()],
  };
}

const Keyed = suite('keyed state snapshots');

Keyed('every kind, ttl stamps included, round-trips through JSON, keys JSON cannot write included', () => {
  const { now, time } = clock();
  const original = new KeyedStateBackend(0, 1, 128, time);
  const keys: KeyContext = { key: 'a' };
  const s = handles(original, keys);
  const ids: Key[] = ['a', 7, -1.5, NaN, Infinity, -Infinity, ''];
  now.processing = 10;
  for (const key of ids) {
    keys.key = key;
    s.value.update({ key: String(key), nested: [1, { deep: true }] });
    s.list.addAll([1, 2, 3]);
    s.map.put(NaN, 'not a number');
    s.map.put(-Infinity, 'minus infinity');
    s.map.put('k', 'string key');
    s.sum.add(2);
    s.sum.add(3);
    s.mean.add(4);
    s.ttlValue.update('lives until 110');
    s.ttlList.add('stamped before the first watermark');
    s.ttlMap.put(Infinity, 1);
  }
  // Event time has not started: the list elements are stamped −Infinity, which JSON cannot hold as a number.
  const snapshot = original.snapshot();
  assert.match(JSON.stringify(snapshot), /"-Infinity"/);
  const restored = new KeyedStateBackend(0, 1, 128, time);
  restored.restore(viaJson(snapshot));
  assert.equal(restored.snapshot(), snapshot, 'expected a restored backend to snapshot exactly what it was given');
  const r = handles(restored, keys);
  for (const key of ids) {
    keys.key = key;
    assert.equal(read(r), read(s), `expected key ${String(key)} to read the same after the round trip`);
  }
  // The stamps came along: the entry written at 10 expires at 110; the element stamped before the
  // first watermark counts from the first watermark it is read at.
  now.processing = 109;
  keys.key = 'a';
  assert.is(r.ttlValue.value(), 'lives until 110');
  now.processing = 110;
  assert.is(r.ttlValue.value(), undefined);
  now.event = 1000;
  assert.equal(r.ttlList.get(), ['stamped before the first watermark']);
  now.event = 1099;
  assert.equal(r.ttlList.get(), ['stamped before the first watermark']);
  now.event = 1100;
  assert.equal(r.ttlList.get(), []);
});

Keyed('expired entries are left out of a snapshot', () => {
  const { now, time } = clock();
  const backend = new KeyedStateBackend(0, 1, 128, time);
  const keys: KeyContext = { key: 'old' };
  const s = handles(backend, keys);
  s.ttlValue.update('old');
  s.ttlMap.put('m', 1);
  now.processing = 60;
  keys.key = 'new';
  s.ttlValue.update('new');
  now.processing = 100;
  const snapshot = backend.snapshot();
  const groups = (id: string) => Object.values(snapshot[id]!.groups).flat();
  assert.equal(groups('1/ttlValue'), [['new', ['new', 60]]]);
  assert.equal(groups('1/ttlMap'), []);
});

Keyed('a snapshot naming a state with another kind than its declaration fails to restore, and to declare', () => {
  const keys: KeyContext = { key: 'a' };
  const one = new KeyedStateBackend(0, 1, 128);
  one.handle('1/s', state.list<number>(), keys, at).add(1);
  const declared = new KeyedStateBackend(0, 1, 128);
  declared.handle('1/s', state.value(0), keys, at);
  for (const attempt of [
    () => declared.restore(one.snapshot()),
    () => {
      const restored = new KeyedStateBackend(0, 1, 128);
      restored.restore(one.snapshot());
      restored.handle('1/s', state.map<string, number>(), keys, at);
    },
  ]) {
    try {
      attempt();
      assert.unreachable('expected the restore to fail');
    } catch (error) {
      assert.instance(error, WeirError);
      assert.is((error as WeirError).code, 'WEIR_E_STATE');
      assert.match((error as Error).message, /snapshot being restored holds it as list state/);
    }
  }
});

const anyKey: fc.Arbitrary<Key> = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0));
const stored = fc.record({
  key: anyKey,
  value: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant(null)),
  list: fc.array(fc.integer(), { maxLength: 4 }),
  map: fc.array(fc.tuple(anyKey, fc.string({ maxLength: 3 })), { maxLength: 3 }),
  stamped: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
});
const rescale = fc
  .constantFrom(7, 128)
  .chain((maxP) => fc.tuple(fc.constant(maxP), fc.integer({ min: 1, max: Math.min(maxP, 4) }), fc.integer({ min: 1, max: Math.min(maxP, 5) })));

Keyed('a snapshot taken at parallelism p restores split at parallelism q: every key once, in the subtask owning its key group, with its values', () => {
  fc.assert(
    fc.property(fc.uniqueArray(stored, { selector: (e) => e.key, comparator: 'SameValueZero', maxLength: 40 }), rescale, (entries, [maxP, p, q]) => {
      const { now, time } = clock();
      now.processing = 1;
      const keys: KeyContext = { key: 0 };
      const expected = new Map<Key, ReturnType<typeof read>>();
      const old = Array.from({ length: p }, (_, i) => new KeyedStateBackend(i, p, maxP, time));
      const oldHandles = old.map((b) => handles(b, keys));
      for (const e of entries) {
        const s = oldHandles[subtaskOfKeyGroup(keyGroupOf(e.key, maxP), maxP, p)]!;
        keys.key = e.key;
        s.value.update(e.value);
        s.list.update(e.list);
        for (const [k, v] of e.map) s.map.put(k, v);
        for (const v of e.list) s.sum.add(v);
        s.ttlList.update(e.stamped);
        for (const [k] of e.map) s.ttlMap.put(k, e.list.length);
        expected.set(e.key, read(s));
      }
      const snapshots: KeyedStateSnapshot[] = old.map((b) => viaJson(b.snapshot()));
      const seen = new Map<Key, number>();
      for (let i = 0; i < q; i++) {
        const restored = new KeyedStateBackend(i, q, maxP, time);
        for (const snapshot of snapshots) restored.restore(snapshot);
        const s = handles(restored, keys);
        const { start, end } = keyGroupRange(i, q, maxP);
        for (const key of restored.keysOf('1/', keys)) {
          const g = keyGroupOf(key, maxP);
          assert.ok(g >= start && g < end, `expected key ${String(key)} (group ${g}) only in the subtask owning [${start}, ${end}), found in ${i}/${q}`);
          assert.not.ok(seen.has(key), `expected key ${String(key)} in one subtask, found in ${seen.get(key)} and ${i}`);
          seen.set(key, i);
          assert.equal(read(s), expected.get(key), `expected key ${String(key)} to read the same after ${p} → ${q}`);
        }
      }
      assert.is(seen.size, expected.size, `expected all ${expected.size} keys after ${p} → ${q}, found ${seen.size}`);
    }),
    { numRuns: 150 },
  );
});

Keyed.run();

const Operator = suite('operator state snapshots');

Operator('lists of each subtask round-trip through JSON', () => {
  const backend = new OperatorStateBackend();
  backend.list<number>('offsets').addAll([1, 2]);
  backend.list<{ id: string }>('pending').add({ id: 'tx' });
  backend.list<number>('empty').update([]);
  const restored = new OperatorStateBackend();
  restored.restore(viaJson(backend.snapshot()));
  assert.equal(restored.snapshot(), { offsets: [1, 2], pending: [{ id: 'tx' }] });
  assert.equal(restored.list<number>('offsets').get(), [1, 2]);
});

Operator('redistribution from p to q subtasks loses and repeats nothing, keeps order, and splits evenly', () => {
  const lists = fc.record({ a: fc.array(fc.integer(), { maxLength: 12 }), b: fc.array(fc.string({ maxLength: 2 }), { maxLength: 5 }) }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.array(lists, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 8 }), (old, q) => {
      const snapshots: OperatorStateSnapshot[] = old.map((content) => {
        const backend = new OperatorStateBackend();
        for (const [name, elements] of Object.entries(content)) backend.list<unknown>(name).update(elements);
        return viaJson(backend.snapshot());
      });
      const restored = Array.from({ length: q }, (_, i) => {
        const backend = new OperatorStateBackend();
        backend.restore(viaJson(OperatorStateBackend.redistribute(snapshots, i, q)));
        return backend;
      });
      for (const name of ['a', 'b'] as const) {
        const before = old.flatMap((content): unknown[] => content[name] ?? []);
        const parts = restored.map((b) => b.list<unknown>(name).get());
        assert.equal(parts.flat(), before, `expected list ${name} whole and in order after ${old.length} → ${q}`);
        const sizes = parts.map((part) => part.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `expected even parts of ${name}, got sizes ${sizes.join(',')}`);
      }
    }),
    { numRuns: 200 },
  );
});

Operator.run();

const Broadcast = suite('broadcast state snapshots');

Broadcast('every new subtask restores the whole state, whatever the parallelism before and after', () => {
  const op = fc.oneof(fc.tuple(fc.constant('put' as const), anyKey, fc.integer()), fc.tuple(fc.constant('remove' as const), anyKey, fc.constant(0)));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 20 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (ops, p, q) => {
      // Every subtask is fed the same broadcast records, so holds the same maps.
      const old = Array.from({ length: p }, () => new BroadcastStateBackend());
      for (const backend of old) {
        const rules = backend.map<Key, number>('rules');
        for (const [what, key, value] of ops) {
          if (what === 'put') rules.put(key, value);
          else rules.remove(key);
        }
      }
      const expected = [...old[0]!.map<Key, number>('rules').entries()];
      const snapshots: BroadcastStateSnapshot[] = old.map((b) => viaJson(b.snapshot()));
      for (let i = 0; i < q; i++) {
        const backend = new BroadcastStateBackend();
        backend.restore(BroadcastStateBackend.redistribute(snapshots, i, q));
        assert.equal([...backend.map<Key, number>('rules').entries()], expected, `expected subtask ${i} of ${q} to hold the whole state`);
      }
    }),
    { numRuns: 150 },
  );
});

Broadcast.run();
