import fc from 'fast-check';
import { inspect, isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompletedCheckpoint, StageSnapshot } from '../lib/checkpoint/checkpoint.ts';
import { packKeyed, unpackKeyed } from '../lib/checkpoint/packed-keyed-state.ts';
import type { KeyedStateSnapshot } from '../lib/state/keyed-state-snapshot.ts';
import { columnsToSnapshot, snapshotToColumns } from '../lib/state/keyed-state-columns.ts';
import { restoredStage, serializeStage, storedStage, toWire, type StageCut } from '../lib/checkpoint/serialized-stage.ts';

const serialized = suite('serialized stages: cut once as bytes, shown as plain data, sent back as bytes');

const KEYED: StageSnapshot = {
  watermark: '-Infinity',
  keyed: { totals: { kind: 'value', groups: { 3: [[7, { count: 2, sum: 1.5 }]], 90: [['a', { count: 1, sum: 2 }]] } } },
  timers: { event: { 3: [[20, 7]] }, processing: {} },
};

/** The stage as the barrier cuts it: its keyed state in columns. */
const cutOf = (stage: StageSnapshot): StageCut => ({ ...stage, keyed: snapshotToColumns(stage.keyed!) });
const CUT = cutOf(KEYED);

const checkpointOf = (subtasks: CompletedCheckpoint['operators'][string]['subtasks']): CompletedCheckpoint => ({
  format: 'weir-checkpoint',
  version: 1,
  job: 'j',
  id: 1,
  triggeredAt: 0,
  completedAt: 0,
  maxParallelism: 128,
  operators: { 'node-1': { name: 'totals', node: 1, parallelism: subtasks.length, subtasks } },
  splits: {},
  summary: { id: 1, durationMs: 0, bytes: 0, alignmentMs: {} },
});

serialized('the bytes are a copy cut now: a change to the state afterwards is not in them', () => {
  const live = cutOf(structuredClone(KEYED));
  const cut = serializeStage(live);
  (live.keyed!['totals']!.entries[0] as { count: number }).count = 99;
  assert.equal(storedStage(cut), { kind: 'stage', stage: KEYED });
  assert.ok(cut.bytes.byteLength > 0, 'expected the size in bytes');
});

serialized('the public view round-trips through JSON and structuredClone as the plain stage', () => {
  const view = storedStage(serializeStage(CUT));
  assert.equal(JSON.parse(JSON.stringify(view)), JSON.parse(JSON.stringify({ kind: 'stage', stage: KEYED })));
  assert.equal(structuredClone(view), { kind: 'stage', stage: KEYED });
});

serialized('a kept checkpoint goes to the workers as its bytes; a plain one (restoreFrom) as it is', () => {
  const cut = serializeStage(CUT);
  const wire = toWire(checkpointOf([storedStage(cut), { kind: 'finished' }]));
  assert.is(wire.operators['node-1']!.subtasks[0], cut, 'expected the very bytes the worker sent');
  assert.equal(wire.operators['node-1']!.subtasks[1], { kind: 'finished' });
  const plain = JSON.parse(JSON.stringify(checkpointOf([storedStage(cut)]))) as CompletedCheckpoint;
  assert.equal(toWire(plain).operators['node-1']!.subtasks[0], { kind: 'stage', stage: KEYED });
});

serialized('a restore skips the keys of an old subtask it owns no group of, but never its watermark or operator state', () => {
  const keyedOnly = serializeStage({ ...CUT, watermark: 5 });
  assert.equal(restoredStage(keyedOnly, false), { watermark: 5 }, 'expected the watermark alone');
  assert.equal(restoredStage(keyedOnly, true), { ...CUT, watermark: 5 });
  const own = serializeStage({ ...CUT, operator: { buffered: [1, 2] } });
  assert.equal(restoredStage(own, false), { ...CUT, operator: { buffered: [1, 2] } }, 'an own snapshot is taken whole');
  assert.equal(restoredStage({ kind: 'stage', stage: KEYED }, true), CUT, 'a plain stage (restoreFrom) in columns');
  assert.is(restoredStage(undefined, true), undefined);
});

/** Entries of every form the codec meets: one shape (its columns), mixed shapes and values that fit none (its fallback). */
const entry = fc.oneof(
  fc.record({ count: fc.integer(), sum: fc.double() }, { noNullPrototype: true }),
  fc.tuple(fc.jsonValue(), fc.oneof(fc.double(), fc.constant('Infinity'))),
  fc.jsonValue(),
  fc.constantFrom(undefined, null, -0, NaN, new Map([[1, 'a']]), [1, [2, { x: 3 }]]),
);
const key = fc.oneof(fc.integer(), fc.string(), fc.double(), fc.record({ n: fc.constantFrom('NaN', 'Infinity') }, { noNullPrototype: true }));
const snapshotArb: fc.Arbitrary<KeyedStateSnapshot> = fc.dictionary(
  fc.string({ minLength: 1 }),
  fc.record(
    { kind: fc.constantFrom('value', 'list', 'map', 'reducing', 'aggregating'), ttl: fc.constantFrom('processing', 'event'), groups: fc.dictionary(fc.integer({ min: 0, max: 127 }).map(String), fc.array(fc.tuple(key, entry), { minLength: 1 }), { noNullPrototype: true }) },
    { requiredKeys: ['kind', 'groups'], noNullPrototype: true },
  ) as fc.Arbitrary<KeyedStateSnapshot[string]>,
  { noNullPrototype: true },
);

serialized('packed keyed state comes back through the serializer as it went, and with only the groups asked for', () => {
  fc.assert(
    fc.property(snapshotArb, fc.integer({ min: 0, max: 127 }), (snapshot, split) => {
      const back = columnsToSnapshot(unpackKeyed(deserialize(serialize(packKeyed(snapshotToColumns(snapshot))))));
      // Node's deep equality, not uvu's: a state may be named `constructor`, which uvu compares by identity.
      assert.ok(isDeepStrictEqual(back, snapshot), `expected the snapshot back:\n${inspect(snapshot, { depth: 6 })}\ngot:\n${inspect(back, { depth: 6 })}`);
      const low = columnsToSnapshot(snapshotToColumns(snapshot), (g) => g < split);
      for (const [name, table] of Object.entries(snapshot)) {
        const expected = Object.fromEntries(Object.entries(table.groups).filter(([g]) => Number(g) < split));
        assert.ok(isDeepStrictEqual(low[name]!.groups, expected), `state ${name}: expected the groups below ${split} only`);
      }
    }),
  );
});

serialized.run();
