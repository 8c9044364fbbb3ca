/** Something the scheduler can run: one step is one batch, never a whole stream. */
export interface Schedulable {
  /** Set by the scheduler while the actor sits in its run queue. */
  scheduled: boolean;
  step(): void;
  runnable(): boolean;
}

/**
 * Runs the actors of one worker thread, round-robin, one batch per turn. It yields to the event
 * loop after each time slice so that batches and credit arriving on MessagePorts get delivered;
 * without that, a busy source would starve the ports that carry its own credit.
 */
export class Scheduler {
  readonly #queue: Schedulable[] = [];
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #stopped = false;
  /** Called every few turns, e.g. to sample heap use. */
  onSlice: () => void = () => {};

  constructor(private readonly sliceMs = 4) {}

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
