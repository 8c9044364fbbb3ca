import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompletedCheckpoint, StageSnapshot } from '../lib/checkpoint/checkpoint.ts';
import { restoredStage, serializeStage, storedStage, toWire } from '../lib/checkpoint/serialized-stage.ts';

const serialized = suite('serialized stages: cut once as bytes, shown as plain data, sent back as bytes');

const KEYED: StageSnapshot = {
  watermark: '-Infinity',
  keyed: { totals: { kind: 'value', groups: { 3: [[7, { count: 2, sum: 1.5 }]], 90: [['a', { count: 1, sum: 2 }]] } } },
  timers: { event: { 3: [[20, 7]] }, processing: {} },
};

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
  const live = structuredClone(KEYED);
  const cut = serializeStage(live);
  (live.keyed!['totals']!.groups[3]![0]![1] as { count: number }).count = 99;
  assert.equal(storedStage(cut), { kind: 'stage', stage: KEYED });
  assert.ok(cut.bytes.byteLength > 0, 'expected the size in bytes');
});

serialized('the public view round-trips through JSON and structuredClone as the plain stage', () => {
  const view = storedStage(serializeStage(KEYED));
  assert.equal(JSON.parse(JSON.stringify(view)), JSON.parse(JSON.stringify({ kind: 'stage', stage: KEYED })));
  assert.equal(structuredClone(view), { kind: 'stage', stage: KEYED });
});

serialized('a kept checkpoint goes to the workers as its bytes; a plain one (restoreFrom) as it is', () => {
  const cut = serializeStage(KEYED);
  const wire = toWire(checkpointOf([storedStage(cut), { kind: 'finished' }]));
  assert.is(wire.operators['node-1']!.subtasks[0], cut, 'expected the very bytes the worker sent');
  assert.equal(wire.operators['node-1']!.subtasks[1], { kind: 'finished' });
  const plain = JSON.parse(JSON.stringify(checkpointOf([storedStage(cut)]))) as CompletedCheckpoint;
  assert.equal(toWire(plain).operators['node-1']!.subtasks[0], { kind: 'stage', stage: KEYED });
});

serialized('a restore skips the keys of an old subtask it owns no group of, but never its watermark or operator state', () => {
  const keyedOnly = serializeStage({ ...KEYED, watermark: 5 });
  assert.equal(restoredStage(keyedOnly, false), { watermark: 5 }, 'expected the watermark alone');
  assert.equal(restoredStage(keyedOnly, true), { ...KEYED, watermark: 5 });
  const own = serializeStage({ ...KEYED, operator: { buffered: [1, 2] } });
  assert.equal(restoredStage(own, false), { ...KEYED, operator: { buffered: [1, 2] } }, 'an own snapshot is taken whole');
  assert.is(restoredStage(undefined, true), undefined);
});

serialized.run();
