import { errors } from '../errors.ts';

/**
 * How a supervisor answers failures: restart after a delay, or give up (Flink's restart strategies).
 * A strategy is plain data, so it travels in a job's options and is checked where it is written.
 *
 * @example
 * ```ts
 * restarts.fixedDelay({ attempts: 3, delayMs: 1_000 });
 * restarts.exponentialBackoff({ initialMs: 100, maxMs: 30_000, multiplier: 2, jitter: 0.1, resetAfterMs: 60_000 });
 * restarts.failureRate({ maxFailures: 5, perMs: 60_000, delayMs: 1_000 }); // a sixth failure within a minute ends the job
 * ```
 */
export type RestartStrategy = NoRestart | FixedDelay | ExponentialBackoff | FailureRate;

export interface NoRestart {
  readonly type: 'none';
}

export interface FixedDelay {
  readonly type: 'fixed-delay';
  /** Restarts before giving up: the failure after the last of them ends the job. */
  readonly attempts: number;
  readonly delayMs: number;
}

export interface ExponentialBackoff {
  readonly type: 'exponential-backoff';
  /** The delay before the first restart. */
  readonly initialMs: number;
  /** The delay never grows beyond this. */
  readonly maxMs: number;
  /** Each restart's delay is the previous one's times this (≥ 1). */
  readonly multiplier: number;
  /** A delay varies by up to this fraction either way (0 to 1), so that jobs failing together do not restart together. */
  readonly jitter: number;
  /** After this long without a failure, the delay (and the attempt count) start over. */
  readonly resetAfterMs: number;
  /** Restarts before giving up, counted since the last reset; unlimited when absent. */
  readonly attempts?: number;
}

export interface FailureRate {
  readonly type: 'failure-rate';
  /** Failures tolerated within `perMs`: one more ends the job. */
  readonly maxFailures: number;
  readonly perMs: number;
  readonly delayMs: number;
}

const MAX_MS = 24 * 3_600_000;

function check(call: string, value: unknown, known: readonly string[], required: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw errors.invalidOption(call, value, `an options object with ${required.join(', ')}`);
  for (const name of Object.keys(value)) if (!known.includes(name)) throw errors.invalidOption(`${call}.${name}`, (value as Record<string, unknown>)[name], `one of the options ${known.join(', ')}`);
  for (const name of required) if ((value as Record<string, unknown>)[name] === undefined) throw errors.invalidOption(`${call}.${name}`, undefined, 'a value: it has no default');
  return value as Record<string, unknown>;
}

function whole(call: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw errors.invalidOption(`${call}.${name}`, value, `a whole number ≥ ${min}`);
  return value;
}

function millis(call: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_MS) {
    throw errors.invalidOption(`${call}.${name}`, value, `milliseconds from ${min} to ${MAX_MS} (a day)`);
  }
  return value;
}

function ranged(call: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw errors.invalidOption(`${call}.${name}`, value, `a number from ${min} to ${max}`);
  return value;
}

/** No restart: the first failure ends the job. */
const none = (): NoRestart => ({ type: 'none' });

/** Restart after the same delay each time, at most `attempts` times. */
function fixedDelay(options: { attempts: number; delayMs: number }): FixedDelay {
  const call = 'restarts.fixedDelay';
  const o = check(call, options, ['attempts', 'delayMs'], ['attempts', 'delayMs']);
  return { type: 'fixed-delay', attempts: whole(call, 'attempts', o.attempts, 0), delayMs: millis(call, 'delayMs', o.delayMs, 0) };
}

/** Restart after a delay that grows with each failure and starts over after a quiet period. */
function exponentialBackoff(options: Omit<ExponentialBackoff, 'type'>): ExponentialBackoff {
  const call = 'restarts.exponentialBackoff';
  const o = check(call, options, ['initialMs', 'maxMs', 'multiplier', 'jitter', 'resetAfterMs', 'attempts'], ['initialMs', 'maxMs', 'multiplier', 'jitter', 'resetAfterMs']);
  const initialMs = millis(call, 'initialMs', o.initialMs, 0);
  const maxMs = millis(call, 'maxMs', o.maxMs, initialMs);
  const strategy: ExponentialBackoff = {
    type: 'exponential-backoff',
    initialMs,
    maxMs,
    multiplier: ranged(call, 'multiplier', o.multiplier, 1, 1000),
    jitter: ranged(call, 'jitter', o.jitter, 0, 1),
    resetAfterMs: millis(call, 'resetAfterMs', o.resetAfterMs, 1),
  };
  return o.attempts === undefined ? strategy : { ...strategy, attempts: whole(call, 'attempts', o.attempts, 0) };
}

/** Restart after a fixed delay as long as no more than `maxFailures` failures fall within `perMs`. */
function failureRate(options: { maxFailures: number; perMs: number; delayMs: number }): FailureRate {
  const call = 'restarts.failureRate';
  const o = check(call, options, ['maxFailures', 'perMs', 'delayMs'], ['maxFailures', 'perMs', 'delayMs']);
  return {
    type: 'failure-rate',
    maxFailures: whole(call, 'maxFailures', o.maxFailures, 0),
    perMs: millis(call, 'perMs', o.perMs, 1),
    delayMs: millis(call, 'delayMs', o.delayMs, 0),
  };
}

export const restarts = { none, fixedDelay, exponentialBackoff, failureRate } as const;

/** A supervisor's answer to one failure. */
export type RestartDecision = { readonly restart: true; readonly delayMs: number; readonly attempt: number } | { readonly restart: false; readonly reason: string };

/**
 * The state of one strategy over a job's life: `onFailure(now)` for each failure, in time order,
 * says whether to restart and after how long. `random` (in [0, 1)) draws the jitter; tests pass
 * their own.
 *
 * @example
 * ```ts
 * const policy = new RestartPolicy(restarts.fixedDelay({ attempts: 1, delayMs: 500 }));
 * policy.onFailure(clock.now()); // { restart: true, delayMs: 500, attempt: 1 }
 * policy.onFailure(clock.now()); // { restart: false, reason: 'fixed delay: 1 restart used of 1' }
 * ```
 */
export class RestartPolicy {
  #attempts = 0;
  #backoffMs = 0;
  #lastFailure = -Infinity;
  readonly #failures: number[] = [];

  constructor(
    readonly strategy: RestartStrategy,
    private readonly random: () => number = Math.random,
  ) {}

  onFailure(now: number): RestartDecision {
    const s = this.strategy;
    const quietFor = now - this.#lastFailure;
    this.#lastFailure = now;
    switch (s.type) {
      case 'none':
        return { restart: false, reason: 'no restart strategy is set' };
      case 'fixed-delay':
        if (this.#attempts >= s.attempts) return { restart: false, reason: `fixed delay: ${plural(s.attempts, 'restart')} used of ${s.attempts}` };
        return { restart: true, delayMs: s.delayMs, attempt: ++this.#attempts };
      case 'failure-rate': {
        const failures = this.#failures;
        failures.push(now);
        while (failures.length > 0 && failures[0]! <= now - s.perMs) failures.shift();
        if (failures.length > s.maxFailures) return { restart: false, reason: `failure rate: ${failures.length} failures within ${s.perMs} ms, more than the ${s.maxFailures} allowed` };
        return { restart: true, delayMs: s.delayMs, attempt: ++this.#attempts };
      }
      case 'exponential-backoff': {
        if (quietFor >= s.resetAfterMs) {
          this.#attempts = 0;
          this.#backoffMs = s.initialMs;
        }
        if (s.attempts !== undefined && this.#attempts >= s.attempts) {
          return { restart: false, reason: `exponential backoff: ${plural(s.attempts, 'restart')} used of ${s.attempts} without a quiet period of ${s.resetAfterMs} ms` };
        }
        const backoff = this.#backoffMs;
        this.#backoffMs = Math.min(s.maxMs, backoff * s.multiplier);
        const delayMs = Math.max(0, Math.min(s.maxMs, backoff + backoff * s.jitter * (2 * this.random() - 1)));
        return { restart: true, delayMs, attempt: ++this.#attempts };
      }
    }
  }
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
