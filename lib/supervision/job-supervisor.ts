import { errors } from '../errors.ts';
import type { BoardLayout } from '../metrics/board.ts';
import { readBoard } from '../metrics/board.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { subtaskName } from '../plan/physical-plan.ts';
import { systemClock, type Clock, type Timer } from '../util/clock.ts';
import { RestartPolicy, type RestartStrategy } from './restart-strategy.ts';
import { PoisonRecords, type DeadLetter, type ResolvedPoison } from './poison-records.ts';

/** `restarting` on a job handle: an attempt failed and the job is deployed again after `delayMs`. */
export interface RestartingEvent {
  /** The restart's number, from 1 (as the strategy counts it). */
  readonly attempt: number;
  /** The failure: a WeirError naming the operator, the subtask and the record where known. */
  readonly cause: Error;
  /** The completed checkpoint the job restarts from; absent: from the start (or `restoreFrom`). */
  readonly fromCheckpoint?: number;
  /** The wait before the job is deployed again, on the job's clock. */
  readonly delayMs: number;
  /**
   * True when the whole job restarts; false when only the failed actor's pipelined region does
   * (the operators connected to it by exchanges), while the job's other regions run on.
   */
  readonly wholeJob: boolean;
  /** The operators that restart, by name (every operator of the job when `wholeJob`). */
  readonly operators: readonly string[];
}

/** `recovered` on a job handle: the restarted job runs again. */
export interface RecoveredEvent {
  readonly attempt: number;
  readonly fromCheckpoint?: number;
  /** From the failure to running again, on the job's clock (the delay included). */
  readonly recoveryMs: number;
  /** As in `RestartingEvent`: the whole job, or only the operators named. */
  readonly wholeJob: boolean;
  readonly operators: readonly string[];
}

/**
 * The decision for one failure: restart after a delay (without a poison record, which goes to the
 * dead letters, when the failure made one), or the error the job fails with.
 */
export type Verdict =
  | { readonly restart: true; readonly attempt: number; readonly delayMs: number; readonly deadLetter?: DeadLetter }
  | { readonly restart: false; readonly error: Error };

/**
 * The job's supervisor (DESIGN.md, the supervisor tree): it hears every failure of a running job,
 * keeps them, and asks the restart strategy (with the time of the job's clock) whether to restart;
 * when the strategy gives up, the job's error names the last failure and lists the earlier ones.
 * It also runs the watchdog: an actor in one step longer than `actorTimeoutMs` is a failure.
 * Poison records are counted first (see poison-records.ts): with the `fail` policy one fails the job
 * at once, whatever restarts the strategy has left; with `skip` the restart that passes over it is
 * still the strategy's to allow.
 *
 * @example
 * ```ts
 * const supervisor = new JobSupervisor('orders', restarts.fixedDelay({ attempts: 1, delayMs: 10 }), clock);
 * supervisor.onFailure(error); // { restart: true, attempt: 1, delayMs: 10 }
 * supervisor.onFailure(error); // { restart: false, error: WEIR_E_RESTARTS_EXHAUSTED }
 * ```
 */
export class JobSupervisor {
  readonly #policy: RestartPolicy;
  readonly #failures: Error[] = [];
  readonly #poison: PoisonRecords;

  constructor(
    readonly job: string,
    readonly strategy: RestartStrategy,
    private readonly clock: Clock,
    poison: ResolvedPoison = { after: 3, policy: 'fail' },
  ) {
    this.#policy = new RestartPolicy(strategy);
    this.#poison = new PoisonRecords(job, poison);
  }

  /** The poison records every later attempt passes over, by operator key (see `PoisonRecords.skipped`). */
  get skipped(): Readonly<Record<string, readonly string[]>> {
    return this.#poison.skipped;
  }

  /** Every failure so far, oldest first. */
  get failures(): readonly Error[] {
    return this.#failures;
  }

  onFailure(error: Error): Verdict {
    this.#failures.push(error);
    const poison = this.#poison.onFailure(error);
    if (poison.kind === 'fail') return { restart: false, error: poison.error };
    const decision = this.#policy.onFailure(this.clock.now());
    if (decision.restart) {
      const verdict = { restart: true, attempt: decision.attempt, delayMs: decision.delayMs } as const;
      return poison.kind === 'skip' ? { ...verdict, deadLetter: poison.deadLetter } : verdict;
    }
    // With no strategy the job fails with its own error, as it always did.
    if (this.strategy.type === 'none') return { restart: false, error };
    return { restart: false, error: errors.restartsExhausted(this.job, decision.reason, this.#failures) };
  }
}

/** An actor found stuck: the worker it runs on, and the error that names it. */
export interface StuckActor {
  readonly worker: number;
  readonly error: Error;
}

/**
 * Checks the workers' metrics boards every `timeoutMs / 2` of the job's clock; a step that has run
 * longer than `timeoutMs` (timed on the system clock, as the workers time their steps) is reported
 * once, and the checks stop until `start` is called again (the next attempt, on fresh boards).
 */
export class Watchdog {
  #timer: Timer | undefined;

  constructor(
    private readonly plan: PhysicalPlan,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly onStuck: (stuck: StuckActor) => void,
  ) {}

  start(boards: readonly { buffer: SharedArrayBuffer; layout: BoardLayout }[]): void {
    this.stop();
    const every = Math.max(5, this.timeoutMs / 2);
    const check = () => {
      this.#timer = undefined;
      const now = systemClock.now();
      for (let w = 0; w < boards.length; w++) {
        const { step } = readBoard(boards[w]!.buffer, boards[w]!.layout, w);
        if (step && now - step.startedAt > this.timeoutMs) {
          const chain = this.plan.chains[step.actor.chain]!;
          const subtask = subtaskName(chain, step.actor.index).slice(chain.name.length + 1);
          this.onStuck({ worker: w, error: errors.actorTimedOut(this.plan.job, chain.name, subtask, now - step.startedAt, this.timeoutMs) });
          return;
        }
      }
      this.#timer = this.clock.setTimeout(check, every);
    };
    this.#timer = this.clock.setTimeout(check, every);
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
