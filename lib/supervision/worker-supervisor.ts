import { xstate } from '../util/packages.ts';

/**
 * The lifecycle of one worker thread's host within one attempt of a job, as its supervisor sees it.
 *
 * leased ─DEPLOYED→ running ─STOP→ stopping ─RETURNED→ stopped
 *    └──────┬─────────┘
 *           ├─DIED→ dead ─STOP→ stopped            (the pool replaces a dead thread)
 *           └─STUCK→ stuck ─STOP→ terminating ─RETURNED→ stopped   (its thread is terminated, not waited for)
 */
export const workerMachine = xstate.createMachine({
  id: 'worker',
  initial: 'leased',
  types: {} as { events: { type: 'DEPLOYED' } | { type: 'DIED' } | { type: 'STUCK' } | { type: 'STOP' } | { type: 'RETURNED' } },
  states: {
    leased: { on: { DEPLOYED: 'running', DIED: 'dead', STUCK: 'stuck', STOP: 'stopping' } },
    running: { on: { DIED: 'dead', STUCK: 'stuck', STOP: 'stopping' } },
    dead: { on: { STOP: 'stopped' } },
    stuck: { on: { DIED: 'dead', STOP: 'terminating' } },
    stopping: { on: { RETURNED: 'stopped', DIED: 'stopped' } },
    terminating: { on: { RETURNED: 'stopped', DIED: 'stopped' } },
    stopped: { type: 'final' },
  },
});

export type WorkerState = 'leased' | 'running' | 'dead' | 'stuck' | 'stopping' | 'terminating' | 'stopped';

/**
 * Supervises the host on one thread for one attempt of a job (DESIGN.md: the JobSupervisor over a
 * WorkerSupervisor per thread). It hears that its thread died or that its actor is stuck, reports
 * the failure upward once, and when the attempt is torn down says whether its thread can be waited
 * for (a host that returns after `shutdown`) or must be terminated (a stuck one). Failures after the
 * first, or after `stop`, are not reported: the job supervisor already decided.
 *
 * @example
 * ```ts
 * const worker = new WorkerSupervisor(0, lease, (error) => job.onFailure(error));
 * worker.deployed();
 * worker.stuck(errors.actorTimedOut(...)); // reported once; stop() then says terminate: true
 * ```
 */
export class WorkerSupervisor<L> {
  readonly #lifecycle = xstate.createActor(workerMachine).start();
  #reported = false;

  constructor(
    readonly worker: number,
    readonly lease: L,
    private readonly onFailure: (error: Error) => void,
  ) {}

  get state(): WorkerState {
    return this.#lifecycle.getSnapshot().value as WorkerState;
  }

  deployed(): void {
    this.#lifecycle.send({ type: 'DEPLOYED' });
  }

  /** Its thread died (exited, crashed, ran out of memory). */
  died(error: Error): void {
    this.#on({ type: 'DIED' }, error);
  }

  /** Its actor stayed in one step past `actorTimeoutMs`. */
  stuck(error: Error): void {
    this.#on({ type: 'STUCK' }, error);
  }

  /** The attempt ends: true if its thread must be terminated rather than waited for. */
  stop(): boolean {
    const terminate = this.state === 'stuck';
    this.#lifecycle.send({ type: 'STOP' });
    return terminate;
  }

  /** Its host returned (or its thread is gone). */
  returned(): void {
    this.#lifecycle.send({ type: 'RETURNED' });
  }

  #on(event: { type: 'DIED' } | { type: 'STUCK' }, error: Error): void {
    const snapshot = this.#lifecycle.getSnapshot();
    if (!snapshot.can(event)) return;
    const wasStopping = snapshot.value === 'stopping' || snapshot.value === 'terminating';
    this.#lifecycle.send(event);
    if (wasStopping || this.#reported) return;
    this.#reported = true;
    this.onFailure(error);
  }
}
