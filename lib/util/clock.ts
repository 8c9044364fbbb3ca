/**
 * Time and timers, passed in rather than read from globals, so that tests can step time instead
 * of sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** An opaque timer handle. */
export type Timer = { readonly __timer: unique symbol } | ReturnType<typeof setTimeout>;

/** The real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
