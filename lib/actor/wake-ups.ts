import type { Clock, Timer } from '../util/clock.ts';

/**
 * When an actor has something to do in processing time: its earliest processing-time timer, and,
 * for an actor with a `withTimestamps` stage, the next look at its watermark generator. One clock
 * timer stands for all of them; when it fires the actor is told (`onDue`) and does the work in its
 * next step, never from the timer itself, so that work happens where credit is checked.
 *
 * @example
 * ```ts
 * const wake = new WakeUps(clock, () => scheduler.schedule(actor));
 * wake.every(200);          // watermarks every 200 ms
 * wake.at(clock.now() + 5); // a timer in 5 ms
 * ```
 */
export class WakeUps {
  #timer: Timer | undefined;
  /** When the clock timer is set for. */
  #armedFor = Infinity;
  #interval = Infinity;
  #nextTick = Infinity;
  #wanted = Infinity;
  #due = false;
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: () => void,
  ) {}

  /** True once a wake-up came and was not taken yet. */
  get due(): boolean {
    return this.#due;
  }

  /** Takes the wake-up: the actor does the work now. */
  take(): number {
    this.#due = false;
    const now = this.clock.now();
    if (now >= this.#nextTick) this.#nextTick = now + this.#interval;
    return now;
  }

  /** The work taken could not be finished (an output stalled): it is due again, without a timer. */
  retry(): void {
    this.#due = true;
  }

  /** Wakes the actor every `intervalMs` from now on. */
  every(intervalMs: number): void {
    this.#interval = intervalMs;
    this.#nextTick = this.clock.now() + intervalMs;
    this.#arm();
  }

  /** Wakes the actor at processing time `time` (the earliest of those asked for wins). */
  at(time: number): void {
    if (time < this.#wanted) this.#wanted = time;
    this.#arm();
  }

  /** After the work: the next processing time the actor needs, if any (its earliest timer now). */
  next(time: number | undefined): void {
    this.#wanted = time ?? Infinity;
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    this.#clear();
  }

  #arm(): void {
    if (this.#closed) return;
    const at = Math.min(this.#wanted, this.#nextTick);
    if (at === this.#armedFor) return;
    this.#clear();
    if (at === Infinity) return;
    this.#armedFor = at;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#armedFor = Infinity;
      this.#due = true;
      this.onDue();
    }, Math.max(0, at - this.clock.now()));
  }

  #clear(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }
}
