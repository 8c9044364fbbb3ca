import type { PolledChannel } from '../channel/channel.ts';
import type { Clock } from '../util/clock.ts';

/** Something the scheduler can run: one step is one batch, never a whole stream. */
export interface Schedulable {
  /** Set by the scheduler while the actor sits in its run queue. */
  scheduled: boolean;
  step(): void;
  runnable(): boolean;
}

export interface SchedulerHooks<A extends Schedulable> {
  /** Before each step: which actor, and the clock's time. */
  onStep(actor: A, at: number): void;
  /** After each time slice, before the thread yields to its event loop. */
  onSlice(): void;
}

/**
 * Turns per slice at most, whatever the clock says: with a clock that does not move (a test's
 * ManualClock) a slice would otherwise never end, and the event loop (control calls, timers)
 * would never run while sources have records.
 */
const MAX_TURNS = 1024;

/**
 * Runs the actors of one worker thread, round-robin, one batch per turn. Between turns it polls the
 * thread's ports, so that credit and batches from other threads arrive while it is busy; it yields
 * to the event loop after each time slice, for timers and the control plane.
 */
export class Scheduler<A extends Schedulable = Schedulable> {
  readonly #queue: A[] = [];
  readonly #polled: PolledChannel[] = [];
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: SchedulerHooks<A> = { onStep() {}, onSlice() {} },
    private readonly sliceMs = 4,
  ) {}

  /** Polls this channel's port between turns. */
  poll(channel: PolledChannel): void {
    this.#polled.push(channel);
  }

  /** Stops polling this channel (its region restarts on new ports): a closed port is not polled for the rest of the job. */
  unpoll(channel: PolledChannel): void {
    const i = this.#polled.indexOf(channel);
    if (i >= 0) this.#polled.splice(i, 1);
  }

  schedule(actor: A): void {
    if (actor.scheduled || this.#stopped) return;
    actor.scheduled = true;
    this.#queue.push(actor);
    this.#wake();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    for (const actor of this.#queue) actor.scheduled = false;
    this.#queue.length = 0;
    this.#polled.length = 0;
  }

  #wake(): void {
    if (this.#immediate === undefined) this.#immediate = setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#immediate = undefined;
    let now = this.clock.now();
    const deadline = now + this.sliceMs;
    for (let turns = 0; turns < MAX_TURNS && this.#queue.length > 0 && !this.#stopped; turns++) {
      const actor = this.#queue.shift()!;
      actor.scheduled = false;
      this.hooks.onStep(actor, now);
      actor.step();
      for (let i = 0; i < this.#polled.length; i++) this.#polled[i]!.poll();
      if (!actor.scheduled && actor.runnable()) {
        actor.scheduled = true;
        this.#queue.push(actor);
      }
      now = this.clock.now();
      if (now >= deadline) break;
    }
    this.hooks.onSlice();
    if (this.#queue.length > 0 && !this.#stopped) this.#wake();
  };
}
