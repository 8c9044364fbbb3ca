import type { PolledChannel } from '../channel/channel.ts';

/** Something the scheduler can run: one step is one batch, never a whole stream. */
export interface Schedulable {
  /** Set by the scheduler while the actor sits in its run queue. */
  scheduled: boolean;
  step(): void;
  runnable(): boolean;
}

/**
 * Runs the actors of one worker thread, round-robin, one batch per turn. Between turns it polls the
 * thread's ports, so that credit and batches from other threads arrive while it is busy; it yields
 * to the event loop after each time slice, for timers and the control plane.
 */
export class Scheduler {
  readonly #queue: Schedulable[] = [];
  readonly #polled: PolledChannel[] = [];
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #stopped = false;
  /** Called every few turns, e.g. to sample heap use. */
  onSlice: () => void = () => {};

  constructor(private readonly sliceMs = 4) {}

  /** Polls this channel's port between turns. */
  poll(channel: PolledChannel): void {
    this.#polled.push(channel);
  }

  schedule(actor: Schedulable): void {
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
    const deadline = performance.now() + this.sliceMs;
    while (this.#queue.length > 0 && !this.#stopped) {
      const actor = this.#queue.shift()!;
      actor.scheduled = false;
      actor.step();
      for (let i = 0; i < this.#polled.length; i++) this.#polled[i]!.poll();
      if (!actor.scheduled && actor.runnable()) {
        actor.scheduled = true;
        this.#queue.push(actor);
      }
      if (performance.now() >= deadline) break;
    }
    this.onSlice();
    if (this.#queue.length > 0 && !this.#stopped) this.#wake();
  };
}
