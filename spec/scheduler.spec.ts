/** The per-thread scheduler: one step per turn, round-robin, nothing after stop. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Scheduler, type Schedulable } from '../lib/actor/scheduler.ts';
import { ManualClock } from '../lib/util/clock.ts';

/** An actor that takes `turns` steps, logging each one, and is runnable until they are used up. */
class FakeActor implements Schedulable {
  scheduled = false;
  constructor(
    readonly name: string,
    private turns: number,
    private readonly log: string[],
    /** Time each step takes, on a ManualClock. */
    private readonly took?: { clock: ManualClock; ms: number },
  ) {}
  step(): void {
    this.log.push(this.name);
    this.turns--;
    this.took?.clock.advance(this.took.ms);
  }
  runnable(): boolean {
    return this.turns > 0;
  }
}

/** Runs the scheduler until every actor has used its turns. */
async function runAll(scheduler: Scheduler, actors: FakeActor[]): Promise<void> {
  for (const actor of actors) scheduler.schedule(actor);
  while (actors.some((a) => a.runnable())) await new Promise((resolve) => setImmediate(resolve));
  scheduler.stop();
}

const scheduling = suite('scheduler');

scheduling('actors take turns round-robin, one step each', async () => {
  const log: string[] = [];
  await runAll(new Scheduler(new ManualClock()), [new FakeActor('a', 3, log), new FakeActor('b', 3, log)]);
  assert.equal(log, ['a', 'b', 'a', 'b', 'a', 'b']);
});

scheduling('a stopped scheduler runs nothing more', async () => {
  const log: string[] = [];
  const scheduler = new Scheduler(new ManualClock());
  const actor = new FakeActor('a', 100, log);
  scheduler.schedule(actor);
  scheduler.stop();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log, []);
  scheduler.schedule(actor);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log, []);
});

scheduling('an actor that stops being runnable leaves the rotation', async () => {
  const log: string[] = [];
  await runAll(new Scheduler(new ManualClock()), [new FakeActor('short', 1, log), new FakeActor('long', 3, log)]);
  assert.equal(log, ['short', 'long', 'long', 'long']);
});

scheduling('ports are polled after every turn, so messages from other threads arrive mid-slice', async () => {
  const log: string[] = [];
  const scheduler = new Scheduler(new ManualClock());
  scheduler.poll({ poll: () => log.push('poll') });
  await runAll(scheduler, [new FakeActor('a', 2, log), new FakeActor('b', 1, log)]);
  assert.equal(log, ['a', 'poll', 'b', 'poll', 'a', 'poll']);
});

scheduling('a slice ends when the clock passes its deadline, and the hooks see every step and slice', async () => {
  const log: string[] = [];
  const clock = new ManualClock(100);
  const steps: string[] = [];
  let slices = 0;
  const scheduler = new Scheduler<FakeActor>(clock, { onStep: (actor, at) => steps.push(`${actor.name}@${at}`), onSlice: () => void (slices += 1) }, 4);
  const a = new FakeActor('a', 4, log, { clock, ms: 3 });
  scheduler.schedule(a);
  // 3 ms per step, 4 ms slices: two steps, yield, two steps.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(steps, ['a@100', 'a@103'], 'expected the first slice to end after the step that passed its deadline');
  assert.is(slices, 1, 'expected onSlice after the first slice');
  await runAll(scheduler, [a]);
  assert.equal(steps, ['a@100', 'a@103', 'a@106', 'a@109']);
  assert.is(slices, 2);
});

scheduling('with a clock that does not move, a slice still ends after a bounded number of turns', async () => {
  const log: string[] = [];
  const scheduler = new Scheduler(new ManualClock());
  let slices = 0;
  const counting = new Scheduler<FakeActor>(new ManualClock(), { onStep() {}, onSlice: () => void (slices += 1) });
  void scheduler;
  const endless = new FakeActor('endless', 5000, log);
  counting.schedule(endless);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(log.length > 0 && log.length < 5000, `expected the first slice to end before all 5000 steps, ran ${log.length}`);
  assert.is(slices, 1, 'expected the thread to get its event loop back after that slice');
  counting.stop();
});

scheduling.run();
