import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from '../lib/errors.ts';
import { KeyedStateBackend } from '../lib/state/keyed-state-backend.ts';
import { state, type StateOptions } from '../lib/state/state-descriptors.ts';

const at = { job: 'kinds', operator: 'op', subtaskIndex: 0, parallelism: 1 };

/** A backend of one subtask, and the key its handles read: tests set `keys.key` by hand. */
function setup() {
  const backend = new KeyedStateBackend(0, 1, 128);
  const keys = { key: 'a' as string | number };
  return { backend, keys };
}

/** The error `fn` throws, asserted to be a WeirError with `code`. */
function thrown(fn: () => unknown, code: string): WeirError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, WeirError, `expected a WeirError, got ${String(error)}`);
    assert.is((error as WeirError).code, code, `expected code ${code}: ${(error as Error).message}`);
    return error as WeirError;
  }
  assert.unreachable(`expected a ${code} error`);
  throw new Error('unreachable');
}

const Value = suite('ValueState');

Value('reads the initial value for a key without one, and each key its own value', () => {
  const { backend, keys } = setup();
  const n = backend.handle('1/n', state.value(0), keys, at);
  assert.is(n.value(), 0);
  n.update(5);
  keys.key = 'b';
  assert.is(n.value(), 0, 'expected key b untouched by key a');
  n.update(7);
  keys.key = 'a';
  assert.is(n.value(), 5);
});

Value('an initial value given as a function makes a fresh object per key', () => {
  const { backend, keys } = setup();
  const seen = backend.handle('1/seen', state.value(() => ({ n: 0 })), keys, at);
  seen.value().n++;
  keys.key = 'b';
  assert.equal(seen.value(), { n: 0 });
  assert.is.not(seen.value(), seen.value(), 'expected a new initial object on every read of a key without a value');
});

Value('update(undefined) and clear() forget the key', () => {
  const { backend, keys } = setup();
  const last = backend.handle('1/last', state.value<string>(), keys, at);
  last.update('x');
  assert.is(backend.keyCount, 1);
  last.update(undefined);
  assert.is(last.value(), undefined);
  assert.is(backend.keyCount, 0);
  last.update('y');
  last.clear();
  assert.is(last.value(), undefined);
  assert.is(backend.keyCount, 0);
});

Value.run();

const List = suite('ListState');

List('keeps the elements of each key in the order they were added', () => {
  const { backend, keys } = setup();
  const list = backend.handle('1/l', state.list<number>(), keys, at);
  assert.equal(list.get(), [], 'expected an empty list for a key without one');
  list.add(1);
  list.addAll([2, 3]);
  keys.key = 'b';
  list.add(10);
  keys.key = 'a';
  list.addAll(
    (function* () {
      yield 4;
    })(),
  );
  assert.equal(list.get(), [1, 2, 3, 4]);
  assert.is(list.size, 4);
  keys.key = 'b';
  assert.equal(list.get(), [10]);
  assert.is(list.size, 1);
});

List('get() returns a new array the caller may keep and change', () => {
  const { backend, keys } = setup();
  const list = backend.handle('1/l', state.list<number>(), keys, at);
  list.addAll([1, 2]);
  const got = list.get();
  got.push(99);
  got[0] = -1;
  assert.equal(list.get(), [1, 2], 'expected the stored list unchanged by changes to a returned array');
  assert.is.not(list.get(), list.get(), 'expected a new array per call');
});

List('update() replaces the elements with a copy; an empty update or clear() removes the key', () => {
  const { backend, keys } = setup();
  const list = backend.handle('1/l', state.list<string>(), keys, at);
  const mine = ['x', 'y'];
  list.update(mine);
  mine.push('z');
  assert.equal(list.get(), ['x', 'y'], 'expected update to copy the caller array');
  list.update([]);
  assert.equal(list.get(), []);
  assert.is(backend.keyCount, 0, 'expected an emptied list to leave the table');
  list.add('w');
  list.addAll([]);
  assert.is(backend.keyCount, 1);
  list.clear();
  assert.is(list.size, 0);
  assert.is(backend.keyCount, 0);
  list.addAll([]);
  assert.is(backend.keyCount, 0, 'expected adding nothing to a key without a list to store nothing');
});

List.run();

const MapS = suite('MapState');

MapS('put, get, has and remove per key; string and number map keys are different keys', () => {
  const { backend, keys } = setup();
  const map = backend.handle('1/m', state.map<string | number, string>(), keys, at);
  map.put('1', 'string one');
  map.put(1, 'number one');
  assert.is(map.get('1'), 'string one');
  assert.is(map.get(1), 'number one');
  assert.ok(map.has(1));
  assert.not.ok(map.has(2));
  assert.is(map.get(2), undefined);
  keys.key = 'b';
  assert.not.ok(map.has(1), 'expected key b to have a map of its own');
  assert.ok(map.isEmpty());
  keys.key = 'a';
  map.remove('1');
  assert.not.ok(map.has('1'));
  assert.ok(map.has(1));
});

MapS('entries, keys and values iterate in the order entries were first put', () => {
  const { backend, keys } = setup();
  const map = backend.handle('1/m', state.map<string, number>(), keys, at);
  assert.equal([...map.entries()], [], 'expected nothing to iterate for a key without a map');
  map.put('b', 2);
  map.put('a', 1);
  map.put('b', 3);
  assert.equal([...map.entries()], [
    ['b', 3],
    ['a', 1],
  ]);
  assert.equal([...map.keys()], ['b', 'a']);
  assert.equal([...map.values()], [3, 1]);
});

MapS('entries may be removed while iterating', () => {
  const { backend, keys } = setup();
  const map = backend.handle('1/m', state.map<number, number>(), keys, at);
  for (let i = 0; i < 6; i++) map.put(i, i * i);
  for (const [k] of map.entries()) if (k % 2 === 0) map.remove(k);
  assert.equal([...map.keys()], [1, 3, 5]);
});

MapS('removing the last entry, or clear(), removes the key from the table', () => {
  const { backend, keys } = setup();
  const map = backend.handle('1/m', state.map<string, number>(), keys, at);
  map.put('x', 1);
  map.put('y', 2);
  assert.is(backend.keyCount, 1);
  map.remove('x');
  map.remove('y');
  assert.ok(map.isEmpty());
  assert.is(backend.keyCount, 0, 'expected an emptied map to leave the table');
  map.put('z', 3);
  map.clear();
  assert.ok(map.isEmpty());
  assert.is(backend.keyCount, 0);
});

MapS.run();

const Reducing = suite('ReducingState');

Reducing('folds every added value with the function, per key, in the order added', () => {
  const { backend, keys } = setup();
  const seq = backend.handle('1/r', state.reducing((a: string, b: string) => `${a}${b}`), keys, at);
  assert.is(seq.get(), undefined, 'expected nothing before the first add');
  seq.add('x');
  seq.add('y');
  keys.key = 'b';
  seq.add('1');
  keys.key = 'a';
  seq.add('z');
  assert.is(seq.get(), 'xyz');
  keys.key = 'b';
  assert.is(seq.get(), '1');
  seq.clear();
  assert.is(seq.get(), undefined);
  seq.add('2');
  assert.is(seq.get(), '2', 'expected a cleared key to start again from the next value');
});

Reducing('the function is not called for the first value of a key', () => {
  const { backend, keys } = setup();
  let calls = 0;
  const max = backend.handle(
    '1/max',
    state.reducing((a: number, b: number) => (calls++, Math.max(a, b))),
    keys,
    at,
  );
  max.add(3);
  assert.is(calls, 0);
  max.add(1);
  max.add(8);
  assert.is(calls, 2);
  assert.is(max.get(), 8);
});

Reducing.run();

const Aggregating = suite('AggregatingState');

Aggregating('creates an accumulator per key on its first add, and reads it through result', () => {
  const { backend, keys } = setup();
  let created = 0;
  const mean = backend.handle(
    '1/mean',
    state.aggregating({
      create: () => (created++, { sum: 0, n: 0 }),
      add: (acc, v: number) => ({ sum: acc.sum + v, n: acc.n + 1 }),
      result: (acc) => acc.sum / acc.n,
    }),
    keys,
    at,
  );
  assert.is(mean.get(), undefined, 'expected no result before the first add');
  mean.add(2);
  mean.add(4);
  keys.key = 'b';
  mean.add(10);
  assert.is(created, 2, 'expected one accumulator per key');
  assert.is(mean.get(), 10);
  keys.key = 'a';
  assert.is(mean.get(), 3);
  mean.clear();
  assert.is(mean.get(), undefined);
  mean.add(6);
  assert.is(mean.get(), 6);
  assert.is(created, 3, 'expected a cleared key to get a new accumulator');
});

Aggregating.run();

const Tables = suite('state tables');

Tables('two handles on one state share its values; states of different names do not', () => {
  const { backend, keys } = setup();
  const one = backend.handle('1/l', state.list<number>(), keys, at);
  const two = backend.handle('1/l', state.list<number>(), keys, at);
  const other = backend.handle('1/other', state.list<number>(), keys, at);
  one.add(1);
  two.add(2);
  assert.equal(one.get(), [1, 2]);
  assert.equal(other.get(), []);
});

Tables('keysOf lists every key holding state in any of an operator state, each once, and makes it current', () => {
  const { backend, keys } = setup();
  const list = backend.handle('1/l', state.list<number>(), keys, at);
  const map = backend.handle('1/m', state.map<string, number>(), keys, at);
  const elsewhere = backend.handle('2/v', state.value(0), keys, at);
  keys.key = 'a';
  list.add(1);
  keys.key = 'b';
  map.put('x', 1);
  list.add(2);
  keys.key = 'c';
  elsewhere.update(1);
  const seen: [string | number, number[]][] = [];
  for (const key of backend.keysOf('1/', keys)) seen.push([key, list.get()]);
  assert.equal(seen, [
    ['a', [1]],
    ['b', [2]],
  ]);
});

Tables('one name declared with two kinds, or one kind with two ttls, fails naming both declarations', () => {
  const { backend, keys } = setup();
  backend.handle('1/s', state.value(0), keys, at);
  const clash = thrown(() => backend.handle('1/s', state.list<number>(), keys, at), 'WEIR_E_STATE');
  assert.match(clash.message, /"s" as list state, but it is already value state/);
  assert.match(clash.message, /operator "op"/);
  backend.handle('1/t', state.map<string, number>({ ttl: { ms: 1000 } }), keys, at);
  const ttl = thrown(() => backend.handle('1/t', state.map<string, number>({ ttl: { ms: 2000 } }), keys, at), 'WEIR_E_STATE');
  assert.match(ttl.message, /as map state with a ttl of 2000 ms of processing time, but it is already map state with a ttl of 1000 ms/);
  thrown(() => backend.handle('1/t', state.map<string, number>(), keys, at), 'WEIR_E_STATE');
  for (const other of [state.reducing((a: number, b: number) => a + b), state.aggregating({ create: () => 0, add: (a, b: number) => a + b, result: (a) => a })]) {
    thrown(() => backend.handle('1/s', other, keys, at), 'WEIR_E_STATE');
  }
});

Tables.run();

const Declarations = suite('state declarations');

Declarations('give plain data: the kind, and a ttl with its defaults filled in only when one is asked for', () => {
  assert.equal(state.list<number>(), { kind: 'list' });
  assert.equal(state.value(0), { kind: 'value', initial: 0 });
  assert.equal(state.value<number>(undefined, { ttl: { ms: 5 } }), { kind: 'value', ttl: { ms: 5, time: 'processing', update: 'onWrite' } });
  assert.equal(state.map<string, number>({ ttl: { ms: 5, time: 'event', update: 'onReadAndWrite' } }), {
    kind: 'map',
    ttl: { ms: 5, time: 'event', update: 'onReadAndWrite' },
  });
  assert.equal(state.list<number>({}), { kind: 'list' }, 'expected options without a ttl to declare no ttl');
});

Declarations('refuse a ttl whose ms is not a positive finite number, naming the declaration and the option', () => {
  for (const ms of [0, -1, NaN, Infinity, '1000', undefined]) {
    const error = thrown(() => state.list<number>({ ttl: { ms } } as unknown as StateOptions), 'WEIR_E_OPTION');
    assert.match(error.message, /^state\.list\(\): invalid option "ttl\.ms"/);
    assert.match(error.message, /positive finite number/);
  }
});

Declarations('refuse an unknown ttl.time or ttl.update, and unknown options', () => {
  const time = thrown(() => state.value(0, { ttl: { ms: 1, time: 'wall' } } as unknown as StateOptions), 'WEIR_E_OPTION');
  assert.match(time.message, /state\.value\(\): invalid option "ttl\.time": got "wall"; allowed: 'processing' or 'event'/);
  const update = thrown(() => state.map({ ttl: { ms: 1, update: 'onRead' } } as unknown as StateOptions), 'WEIR_E_OPTION');
  assert.match(update.message, /"ttl\.update": got "onRead"; allowed: 'onWrite' or 'onReadAndWrite'/);
  const option = thrown(() => state.list({ tll: { ms: 1 } } as unknown as StateOptions), 'WEIR_E_OPTION');
  assert.match(option.message, /unknown option "tll"; allowed options there are: ttl/);
  const ttlOption = thrown(() => state.list({ ttl: { ms: 1, millis: 2 } } as unknown as StateOptions), 'WEIR_E_OPTION');
  assert.match(ttlOption.message, /unknown option "ttl\.millis"; allowed options there are: ms, time, update/);
  thrown(() => state.list({ ttl: 1000 } as unknown as StateOptions), 'WEIR_E_OPTION');
});

Declarations('refuse a reducing or aggregating declaration without its functions', () => {
  const reducing = thrown(() => state.reducing(undefined as unknown as (a: number, b: number) => number), 'WEIR_E_STATE');
  assert.match(reducing.message, /state\.reducing\(\) needs a function \(a, b\) => … that combines two values into one, got undefined/);
  const none = thrown(() => state.aggregating(undefined as never), 'WEIR_E_STATE');
  assert.match(none.message, /state\.aggregating\(\) needs \{ create, add, result \}/);
  const noResult = thrown(() => state.aggregating({ create: () => 0, add: (a: number) => a } as never), 'WEIR_E_STATE');
  assert.match(noResult.message, /needs a function `result`/);
});

Declarations.run();
