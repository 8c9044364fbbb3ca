/** Each worker's live figures in shared memory: one slot per actor, written by the actor, read by the coordinator. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { sinks, sources } from '../lib/api/connectors-catalog.ts';
import { ACTOR, CHANNEL, STATUSES, WorkerBoard, boardLayout, newBoard, readBoard, type BoardLayout } from '../lib/metrics/board.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { planJob, type PhysicalPlan } from '../lib/plan/physical-plan.ts';

/** source (2) → keyBy → reduce (3) → collect (3), on 2 workers: local, port and egress channels. */
function samplePlan(): PhysicalPlan {
  const graph = buildGraph(
    job('board-spec', (env) => {
      env
        .from(sources.fromArray([{ k: 'a', v: 1 }]))
        .parallelism(2)
        .keyBy((r) => r.k)
        .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
        .parallelism(3)
        .to(sinks.collect('totals'))
        .parallelism(3);
    }) as Parameters<typeof buildGraph>[0],
    undefined,
  );
  return planJob(graph, resolveOptions({ workers: 2 }));
}

const ACTOR_FIELDS = Object.keys(ACTOR).length;
const CHANNEL_FIELDS = Object.keys(CHANNEL).length;
const refKey = (ref: { chain: number; index: number }) => `${ref.chain}/${ref.index}`;

const Layout = suite('board: layout');

Layout('every subtask has a slot on the board of its own worker, and on no other', () => {
  const plan = samplePlan();
  const slots = [0, 1].flatMap((worker) => boardLayout(plan, worker).actors.map((slot) => ({ worker, key: refKey(slot.ref) })));
  const subtasks = plan.chains.flatMap((chain) => chain.workers.map((worker, index) => ({ worker, key: refKey({ chain: chain.id, index }) })));
  assert.equal(
    slots.map((s) => `${s.key}@${s.worker}`).sort(),
    subtasks.map((s) => `${s.key}@${s.worker}`).sort(),
    'expected exactly one slot per subtask, on the worker the plan placed it on',
  );
});

Layout('a slot lists the actor\'s output channels, and the slots do not overlap', () => {
  const plan = samplePlan();
  for (const worker of [0, 1]) {
    const layout = boardLayout(plan, worker);
    let end = 0;
    for (const slot of layout.actors) {
      const expected = plan.channels.filter((c) => c.from.chain === slot.ref.chain && c.from.index === slot.ref.index);
      assert.equal(slot.channels, expected, `expected subtask ${refKey(slot.ref)} to list its own channels`);
      assert.ok(slot.offset >= end, `expected subtask ${refKey(slot.ref)} to start at or after ${end}, it starts at ${slot.offset}`);
      end = slot.offset + ACTOR_FIELDS + CHANNEL_FIELDS * slot.channels.length;
    }
    assert.is(layout.size, end, `expected worker ${worker}'s board to end with its last slot`);
  }
  const senders = boardLayout(plan, 0).actors.filter((slot) => plan.chains[slot.ref.chain]!.isSource);
  assert.is(senders.length, 1, 'expected source subtask 1/2 on worker 0');
  assert.is(senders[0]!.channels.length, 3, 'expected the source subtask to list its 3 keyed channels');
});

Layout('a new board holds the layout\'s values as float64s', () => {
  const layout = boardLayout(samplePlan(), 0);
  assert.is(newBoard(layout).byteLength, layout.size * 8);
});

const ReadBack = suite('board: what actors write, the coordinator reads');

/** A worker's board and layout, written through WorkerBoard. */
function board(worker = 0): { layout: BoardLayout; buffer: SharedArrayBuffer; writer: WorkerBoard } {
  const layout = boardLayout(samplePlan(), worker);
  const buffer = newBoard(layout);
  return { layout, buffer, writer: new WorkerBoard(buffer, layout) };
}

ReadBack('a fresh board reads as created actors with zero figures and no step', () => {
  const { layout, buffer } = board();
  const figures = readBoard(buffer, layout, 0);
  assert.is(figures.actors.length, layout.actors.length);
  for (const actor of figures.actors) {
    assert.is(actor.status, 'created');
    assert.is(actor.recordsIn, 0);
    assert.is(actor.paused, false);
  }
  assert.is(figures.step, undefined, 'expected no step on a fresh board');
});

ReadBack('each actor reads back exactly what it wrote, its neighbours untouched', () => {
  const { layout, buffer, writer } = board();
  layout.actors.forEach((slot, i) => {
    const actor = writer.actor(i);
    const base = 100 * (i + 1);
    actor.set(ACTOR.status, STATUSES.indexOf('running'));
    actor.set(ACTOR.recordsIn, base + 1);
    actor.set(ACTOR.recordsOut, base + 2);
    actor.set(ACTOR.queued, base + 3);
    actor.set(ACTOR.maxQueued, base + 4);
    actor.set(ACTOR.capacity, base + 5);
    actor.set(ACTOR.backlog, base + 6);
    actor.set(ACTOR.pauses, base + 7);
    actor.set(ACTOR.paused, 1);
    actor.set(ACTOR.keys, base + 9);
    actor.set(ACTOR.lateRecords, base + 10);
    actor.set(ACTOR.watermark, base + 11);
    actor.set(ACTOR.eventTime, base + 12);
    slot.channels.forEach((_, c) => {
      for (const index of Object.values(CHANNEL)) actor.setChannel(c, index, base + 20 * (c + 1) + index);
    });
  });
  const figures = readBoard(buffer, layout, 0);
  figures.actors.forEach((actor, i) => {
    const base = 100 * (i + 1);
    const { ref, channels, ...own } = actor;
    assert.equal(ref, layout.actors[i]!.ref);
    assert.equal(
      own,
      { status: 'running', recordsIn: base + 1, recordsOut: base + 2, queued: base + 3, maxQueued: base + 4, capacity: base + 5, backlog: base + 6, pauses: base + 7, paused: true, keys: base + 9, lateRecords: base + 10, watermark: base + 11, eventTime: base + 12 },
      `expected actor ${i} to read back its own figures`,
    );
    channels.forEach((channel, c) => {
      assert.is(channel.plan, layout.actors[i]!.channels[c]!);
      const { plan: _plan, ...values } = channel;
      const expected = Object.fromEntries(Object.entries(CHANNEL).map(([field, index]) => [field, base + 20 * (c + 1) + index]));
      assert.equal(values, expected, `expected channel ${c} of actor ${i} to read back its figures`);
    });
  });
});

ReadBack('every status survives the trip through the board', () => {
  const { layout, buffer, writer } = board();
  for (const status of STATUSES) {
    writer.actor(0).set(ACTOR.status, STATUSES.indexOf(status));
    assert.is(readBoard(buffer, layout, 0).actors[0]!.status, status);
  }
});

ReadBack('the worker\'s own figures read back, and each publication is counted', () => {
  const { layout, buffer, writer } = board(1);
  writer.worker(7, 1_000_000, 2_000_000);
  writer.worker(7, 1_500_000, 2_500_000);
  const figures = readBoard(buffer, layout, 1);
  assert.is(figures.worker, 1);
  assert.is(figures.threadId, 7);
  assert.is(figures.heapUsedBytes, 1_500_000);
  assert.is(figures.peakHeapBytes, 2_500_000);
  assert.is(figures.published, 2, 'expected two publications counted');
});

ReadBack('a running step shows which actor runs it and since when, and is cleared when steps end', () => {
  const { layout, buffer, writer } = board();
  const last = layout.actors.length - 1;
  writer.stepStarted(last, 1234.5);
  assert.equal(readBoard(buffer, layout, 0).step, { actor: layout.actors[last]!.ref, startedAt: 1234.5 });
  writer.stepStarted(0, 2000);
  assert.equal(readBoard(buffer, layout, 0).step, { actor: layout.actors[0]!.ref, startedAt: 2000 }, 'expected the newest step shown');
  writer.stepsEnded();
  assert.is(readBoard(buffer, layout, 0).step, undefined, 'expected no step once steps ended');
});

Layout.run();
ReadBack.run();
