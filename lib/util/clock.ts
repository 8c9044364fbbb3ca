/**
 * Time and timers, passed in rather than read from globals, so that tests step time instead of
 * sleeping (as xstate's SimulatedClock). Everything in weir that waits or measures a duration (the
 * scheduler's time slice, buffer timeouts, the coordinator's grace periods, how long a worker has
 * been inside one step) reads this interface.
 */
export interface Clock {
  /**
   * Milliseconds on a time line that every thread of the process shares (the system clock's is the
   * Unix epoch, with sub-millisecond precision), so a worker's timestamp means the same in the
   * coordinator.
   */
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** An opaque timer handle. */
export type Timer = { readonly __timer: unique symbol } | ReturnType<typeof setTimeout>;

/** The real clock. `performance.now()` alone counts from each thread's own start; the origin makes it shared. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to: `advance(ms)` runs every timer that falls due, in time
 * order (timers due at the same time in the order they were set), each with `now()` at its due time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('flushed at', clock.now()), 10);
 * clock.advance(10); // prints "flushed at 10"
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 0;
  /** Pending timers; few at a time, so a sorted scan beats a heap. */
  readonly #timers: ManualTimer[] = [];
  readonly #listeners = new Set<(now: number) => void>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: ManualTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    this.#timers.push(timer);
    return timer.id as unknown as Timer;
  }

  clearTimeout(timer: Timer): void {
    const i = this.#timers.findIndex((t) => t.id === (timer as unknown as number));
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running the timers that fall due (and those they set, if due too). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs a duration ≥ 0, got ${ms}`);
    const until = this.#now + ms;
    for (let next = this.#due(until); next; next = this.#due(until)) {
      this.#now = next.at;
      next.callback();
    }
    this.#now = until;
    for (const listener of this.#listeners) listener(until);
  }

  /**
   * Hears of every advance (with the new time); returns the unsubscribe function. A job running on
   * this clock uses it to move its workers' clocks, which are their own.
   */
  onAdvance(listener: (now: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs every pending timer now, however far ahead, as if enough time had passed. */
  runAll(): void {
    while (this.#timers.length > 0) this.advance(Math.max(0, ...this.#timers.map((t) => t.at - this.#now)));
  }

  /** Takes the earliest timer due by `until`, if any. */
  #due(until: number): ManualTimer | undefined {
    let best = -1;
    for (let i = 0; i < this.#timers.length; i++) {
      const t = this.#timers[i]!;
      if (t.at <= until && (best < 0 || t.at < this.#timers[best]!.at || (t.at === this.#timers[best]!.at && t.id < this.#timers[best]!.id))) best = i;
    }
    return best < 0 ? undefined : this.#timers.splice(best, 1)[0];
  }
}
