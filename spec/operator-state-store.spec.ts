/** The state of an operator that belongs to no key: lists of a subtask and broadcast maps, as plain data. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BroadcastStateDescriptor } from '../lib/state/broadcast-state-descriptor.ts';
import { OperatorStateBackend } from '../lib/state/operator-state-backend.ts';
import { OperatorStore, type OperatorStoreSnapshot } from '../lib/state/operator-state-store.ts';

const Store = suite('operator state store');

const rules = new BroadcastStateDescriptor<number, { limit: number }>('rules');

Store('lists and broadcast maps round-trip through JSON into a new store', () => {
  const store = new OperatorStore();
  store.list<string>('pending').addAll(['a', 'b']);
  store.list<number>('offsets').add(42);
  store.broadcast(rules).put(7, { limit: 3 });
  store.broadcast(rules).put(8, { limit: 4 });
  store.broadcast(rules).remove(8);
  const snapshot = JSON.parse(JSON.stringify(store.snapshot())) as OperatorStoreSnapshot;
  assert.equal(snapshot, { lists: { pending: ['a', 'b'], offsets: [42] }, broadcast: { rules: [[7, { limit: 3 }]] } });
  const restored = new OperatorStore();
  restored.restore(snapshot);
  assert.equal(restored.list<string>('pending').get(), ['a', 'b']);
  assert.equal([...restored.broadcast(rules).entries()], [[7, { limit: 3 }]]);
  assert.equal(restored.snapshot(), store.snapshot(), 'expected the restored store to snapshot alike');
});

Store('asking for a list twice gives the same list; a list snapshot deals out again at another parallelism', () => {
  const stores = [new OperatorStore(), new OperatorStore()];
  stores[0]!.list<number>('buffer').addAll([1, 2, 3]);
  stores[1]!.list<number>('buffer').add(4);
  assert.is(stores[0]!.list<number>('buffer').size, 3);
  const lists = stores.map((s) => s.snapshot().lists);
  const dealt = [0, 1, 2].map((i) => OperatorStateBackend.redistribute(lists, i, 3).buffer ?? []);
  assert.equal(dealt, [[1, 2], [3], [4]]);
});

Store('a descriptor needs a name', () => {
  assert.throws(() => new BroadcastStateDescriptor(''), /the name is a non-empty string/);
});

Store.run();
