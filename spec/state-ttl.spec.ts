import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedStateBackend } from '../lib/state/keyed-state-backend.ts';
import { state, type StateDescriptor, type StateOptions, type Ttl } from '../lib/state/state-descriptors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../lib/state/state-handles.ts';

const at = { job: 'ttl', operator: 'op', subtaskIndex: 0, parallelism: 1 };
type Domain = 'processing' | 'event';

/** A backend whose time lines the test moves by hand: `now.processing`, `now.event` (the watermark). */
function setup() {
  const now = { processing: 0, event: -Infinity };
  const backend = new KeyedStateBackend(0, 1, 128, { processing: () => now.processing, event: () => now.event });
  const keys = { key: 'a' as string | number };
  return { backend, keys, now };
}

/** One kind of state, driven alike: a write, and a read that says whether the written value is seen. */
interface Kind<H> {
  name: string;
  declare(options: StateOptions): StateDescriptor<H>;
  write(h: H): void;
  visible(h: H): boolean;
}
const kind = <H>(k: Kind<H>): Kind<unknown> => k as unknown as Kind<unknown>;

const KINDS: Kind<unknown>[] = [
  kind<ValueState<number | undefined>>({
    name: 'value',
    declare: (o) => state.value<number>(undefined, o),
    write: (h) => h.update(1),
    visible: (h) => h.value() !== undefined,
  }),
  kind<ListState<number>>({ name: 'list', declare: (o) => state.list<number>(o), write: (h) => h.add(1), visible: (h) => h.get().length > 0 }),
  kind<MapState<string, number>>({
    name: 'map',
    declare: (o) => state.map<string, number>(o),
    write: (h) => h.put('x', 1),
    visible: (h) => h.get('x') !== undefined,
  }),
  kind<ReducingState<number>>({
    name: 'reducing',
    declare: (o) => state.reducing((a: number, b: number) => a + b, o),
    write: (h) => h.add(1),
    visible: (h) => h.get() !== undefined,
  }),
  kind<AggregatingState<number, number>>({
    name: 'aggregating',
    declare: (o) => state.aggregating({ create: () => 0, add: (a, v: number) => a + v, result: (a) => a }, o),
    write: (h) => h.add(1),
    visible: (h) => h.get() !== undefined,
  }),
];
const DOMAINS: Domain[] = ['processing', 'event'];

const Expiry = suite('ttl: expired entries are invisible at once');

Expiry('for every kind and both time lines, an entry is seen until ms have passed since its write, then not, and the read drops it', () => {
  for (const k of KINDS) {
    for (const time of DOMAINS) {
      const { backend, keys, now } = setup();
      now[time] = 1000;
      const h = backend.handle('1/s', k.declare({ ttl: { ms: 100, time } }), keys, at);
      k.write(h);
      now[time] = 1099;
      assert.ok(k.visible(h), `${k.name}, ${time} time: expected the entry seen 99 ms after its write`);
      now[time] = 1100;
      assert.is(backend.keyCount, 1, `${k.name}, ${time} time: expected the expired entry still held before it is read`);
      assert.not.ok(k.visible(h), `${k.name}, ${time} time: expected the entry gone 100 ms after its write`);
      assert.is(backend.keyCount, 0, `${k.name}, ${time} time: expected the read to drop the expired entry`);
    }
  }
});

Expiry('a ttl is measured on its own time line only', () => {
  for (const k of KINDS) {
    for (const time of DOMAINS) {
      const other: Domain = time === 'event' ? 'processing' : 'event';
      const { backend, keys, now } = setup();
      now[time] = 0;
      now[other] = 0;
      const h = backend.handle('1/s', k.declare({ ttl: { ms: 100, time } }), keys, at);
      k.write(h);
      now[other] = 1e9;
      assert.ok(k.visible(h), `${k.name}, ${time} time: expected ${other} time to have no say`);
    }
  }
});

Expiry('writes renew an entry (onWrite), reads do not', () => {
  for (const k of KINDS) {
    const { backend, keys, now } = setup();
    const h = backend.handle('1/s', k.declare({ ttl: { ms: 100 } }), keys, at);
    k.write(h);
    now.processing = 60;
    assert.ok(k.visible(h));
    k.write(h);
    now.processing = 150;
    assert.ok(k.visible(h), `${k.name}: expected the second write to give a new life`);
    now.processing = 160;
    assert.not.ok(k.visible(h), `${k.name}: expected the entry gone 100 ms after its last write, reads notwithstanding`);
  }
});

Expiry('onReadAndWrite: every read renews the entry', () => {
  for (const k of KINDS) {
    const { backend, keys, now } = setup();
    const h = backend.handle('1/s', k.declare({ ttl: { ms: 100, update: 'onReadAndWrite' } }), keys, at);
    k.write(h);
    for (const t of [90, 180, 270]) {
      now.processing = t;
      assert.ok(k.visible(h), `${k.name}: expected the read at ${t} to find the entry read 90 ms before`);
    }
    now.processing = 370;
    assert.not.ok(k.visible(h), `${k.name}: expected the entry gone 100 ms after its last read`);
  }
});

Expiry('list elements expire one by one, each 100 ms after it was added', () => {
  const { backend, keys, now } = setup();
  const list = backend.handle('1/l', state.list<string>({ ttl: { ms: 100 } }), keys, at);
  list.add('early');
  now.processing = 50;
  list.addAll(['late', 'later']);
  now.processing = 100;
  assert.equal(list.get(), ['late', 'later']);
  assert.is(list.size, 2);
  list.update(['fresh']);
  now.processing = 149;
  assert.equal(list.get(), ['fresh'], 'expected update to replace the elements with fresh ones');
  now.processing = 200;
  assert.is(list.size, 0);
  assert.is(backend.keyCount, 0);
});

Expiry('map entries expire one by one, in every way of reading the map', () => {
  const { backend, keys, now } = setup();
  const map = backend.handle('1/m', state.map<string, number>({ ttl: { ms: 100 } }), keys, at);
  map.put('a', 1);
  now.processing = 50;
  map.put('b', 2);
  now.processing = 100;
  assert.not.ok(map.has('a'));
  assert.is(map.get('a'), undefined);
  map.put('c', 3);
  map.put('a', 4);
  assert.equal([...map.entries()], [
    ['b', 2],
    ['c', 3],
    ['a', 4],
  ]);
  now.processing = 150;
  assert.equal([...map.keys()], ['c', 'a']);
  assert.equal([...map.values()], [3, 4]);
  assert.not.ok(map.isEmpty());
  now.processing = 200;
  assert.ok(map.isEmpty());
  assert.is(backend.keyCount, 0, 'expected a map whose entries all expired to leave the table');
});

Expiry('onReadAndWrite renews the map entries an iteration reads, and only those', () => {
  const { backend, keys, now } = setup();
  const map = backend.handle('1/m', state.map<string, number>({ ttl: { ms: 100, update: 'onReadAndWrite' } }), keys, at);
  map.put('a', 1);
  map.put('b', 2);
  now.processing = 90;
  for (const [k] of map.entries()) if (k === 'a') break;
  now.processing = 150;
  assert.equal([...map.keys()], ['a'], 'expected the entry read at 90 alive, the one not reached expired');
});

Expiry('an expired value takes no part in the next reduction or aggregation', () => {
  const { backend, keys, now } = setup();
  const sum = backend.handle('1/sum', state.reducing((a: number, b: number) => a + b, { ttl: { ms: 100 } }), keys, at);
  let created = 0;
  const count = backend.handle('1/count', state.aggregating({ create: () => (created++, 0), add: (a, _v: number) => a + 1, result: (a) => a }, { ttl: { ms: 100 } }), keys, at);
  sum.add(5);
  count.add(5);
  now.processing = 100;
  sum.add(1);
  count.add(1);
  assert.is(sum.get(), 1);
  assert.is(count.get(), 1);
  assert.is(created, 2, 'expected a new accumulator once the old one expired');
});

Expiry('event time before the first watermark expires nothing; an entry written then counts from the first watermark it is read at', () => {
  const { backend, keys, now } = setup();
  const v = backend.handle('1/v', state.value<string>(undefined, { ttl: { ms: 100, time: 'event' } }), keys, at);
  v.update('early');
  assert.is(v.value(), 'early');
  now.event = 5000;
  assert.is(v.value(), 'early', 'expected an entry written before the first watermark to live on once event time starts');
  now.event = 5099;
  assert.is(v.value(), 'early');
  now.event = 5100;
  assert.is(v.value(), undefined);
});

Expiry('keysOf leaves out keys whose state all expired', () => {
  const { backend, keys, now } = setup();
  const v = backend.handle('1/v', state.value<number>(undefined, { ttl: { ms: 100 } }), keys, at);
  v.update(1);
  now.processing = 50;
  keys.key = 'b';
  v.update(2);
  now.processing = 100;
  assert.equal([...backend.keysOf('1/', keys)], ['b']);
});

Expiry.run();

const Sweep = suite('ttl: sweep reclaims expired entries a budget at a time');

/** `n` keys of a value state with a ttl, written at time 0, and a plain state of `plain` keys beside them. */
function filled(n: number, plain = 0, ttl: Ttl = { ms: 100 }) {
  const s = setup();
  const v = s.backend.handle('1/v', state.value<number>(undefined, { ttl }), s.keys, at);
  const p = s.backend.handle('1/p', state.value<number>(), s.keys, at);
  for (let i = 0; i < n; i++) {
    s.keys.key = i;
    v.update(i);
  }
  for (let i = 0; i < plain; i++) {
    s.keys.key = `p${i}`;
    p.update(i);
  }
  return s;
}

Sweep('examines at most its budget, resumes where it stopped, and shrinks keyCount by what expired', () => {
  const { backend, now } = filled(10, 4);
  now.processing = 100;
  assert.is(backend.keyCount, 14);
  assert.is(backend.sweep(3), 3);
  assert.is(backend.keyCount, 11);
  assert.is(backend.sweep(3), 3);
  assert.is(backend.sweep(3), 3);
  assert.is(backend.keyCount, 5, 'expected three sweeps of 3 to have reclaimed 9 different entries');
  assert.is(backend.sweep(3), 1, 'expected the last sweep to stop after a full round');
  assert.is(backend.keyCount, 4, 'expected the states without a ttl untouched');
  assert.is(backend.sweep(3), 0, 'expected nothing left to examine');
});

Sweep('deletes nothing alive, and ends after one full round when the budget exceeds the entries', () => {
  const { backend, now } = filled(5);
  now.processing = 99;
  assert.is(backend.sweep(100), 5);
  assert.is(backend.keyCount, 5);
  assert.is(backend.sweep(2), 2);
  assert.is(backend.sweep(0), 0);
});

Sweep('goes round every state with a ttl in turn, and reaches entries written since it started', () => {
  const { backend, keys, now } = filled(3);
  const list = backend.handle('2/l', state.list<number>({ ttl: { ms: 100, time: 'event' } }), keys, at);
  const map = backend.handle('3/m', state.map<string, number>({ ttl: { ms: 10 } }), keys, at);
  now.event = 0;
  keys.key = 'x';
  list.addAll([1, 2]);
  map.put('k', 1);
  now.processing = 100;
  now.event = 100;
  let examined = backend.sweep(2);
  keys.key = 'late';
  map.put('k', 2); // written at 100: alive until 110
  for (let i = 0; i < 10; i++) examined += backend.sweep(2);
  assert.is(backend.keyCount, 1, 'expected everything but the late map entry reclaimed');
  assert.ok(examined >= 3 + 2 + 2, `expected every entry examined, got ${examined}`);
  now.processing = 110;
  for (let i = 0; i < 5 && backend.keyCount > 0; i++) backend.sweep(1);
  assert.is(backend.keyCount, 0);
});

Sweep('a backend without states with a ttl has nothing to sweep', () => {
  const { backend, keys } = setup();
  backend.handle('1/p', state.list<number>(), keys, at).add(1);
  assert.is(backend.sweep(10), 0);
  assert.is(backend.keyCount, 1);
});

Sweep.run();

const Restamp = suite('ttl: added or taken away between runs');

Restamp('state restored without stamps into a declaration with a ttl gets a full life from the declaration', () => {
  const first = setup();
  first.backend.handle('1/l', state.list<number>(), first.keys, at).addAll([1, 2]);
  const { backend, keys, now } = setup();
  now.processing = 1000;
  backend.restore(JSON.parse(JSON.stringify(first.backend.snapshot())));
  now.processing = 2000;
  const list = backend.handle('1/l', state.list<number>({ ttl: { ms: 100 } }), keys, at);
  now.processing = 2099;
  assert.equal(list.get(), [1, 2]);
  now.processing = 2100;
  assert.equal(list.get(), []);
});

Restamp('state restored with stamps into a declaration without a ttl keeps its values, bare', () => {
  const first = setup();
  first.backend.handle('1/m', state.map<string, number>({ ttl: { ms: 100 } }), first.keys, at).put('x', 1);
  const { backend, keys, now } = setup();
  backend.restore(JSON.parse(JSON.stringify(first.backend.snapshot())));
  const map = backend.handle('1/m', state.map<string, number>(), keys, at);
  now.processing = 1e9;
  assert.equal([...map.entries()], [['x', 1]]);
  const table = backend.snapshot()['1/m']!;
  assert.is(table.ttl, undefined, 'expected the state snapshotted without stamps now');
  assert.equal(Object.values(table.groups).flat(), [['a', [['x', 1]]]]);
});

Restamp.run();
