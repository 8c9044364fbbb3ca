/** The per-thread scheduler: one step per turn, round-robin, nothing after stop. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Scheduler, type Schedulable } from '../lib/actor/scheduler.ts';

/** An actor that takes `turns` steps, logging each one, and is runnable until they are used up. */
class FakeActor implements Schedulable {
  scheduled = false;
  constructor(
    readonly name: string,
    private turns: number,
    private readonly log: string[],
  ) {}
  step(): void {
    this.log.push(this.name);
    this.turns--;
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
  await runAll(new Scheduler(), [new FakeActor('a', 3, log), new FakeActor('b', 3, log)]);
  assert.equal(log, ['a', 'b', 'a', 'b', 'a', 'b']);
});

scheduling('a stopped scheduler runs nothing more', async () => {
  const log: string[] = [];
  const scheduler = new Scheduler();
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
  await runAll(new Scheduler(), [new FakeActor('short', 1, log), new FakeActor('long', 3, log)]);
  assert.equal(log, ['short', 'long', 'long', 'long']);
});

scheduling('ports are polled after every turn, so messages from other threads arrive mid-slice', async () => {
  const log: string[] = [];
  const scheduler = new Scheduler(1_000);
  scheduler.poll({ poll: () => log.push('poll') });
  await runAll(scheduler, [new FakeActor('a', 2, log), new FakeActor('b', 1, log)]);
  assert.equal(log, ['a', 'poll', 'b', 'poll', 'a', 'poll']);
});

scheduling.run();
