/**
 * Calls that must not outlive what they belong to (a job's calls to its workers). Each call settles
 * with its own result, or rejects once `abandon` is called: a call to a worker that died, or whose
 * port was closed, would otherwise never settle. Racing every call against one long-lived promise
 * would do the same, but each race leaves a reaction on that promise until it settles (hundreds of
 * bytes per call, for the life of the job); here a settled call leaves nothing behind.
 *
 * @example
 * ```ts
 * const guard = new CallGuard();
 * const outcome = guard.call(host.completion()); // rejects if the job is abandoned first
 * guard.abandon(new Error('job cancelled'));
 * ```
 */
export class CallGuard {
  readonly #waiting = new Set<(error: Error) => void>();
  #abandoned: Error | undefined;

  call<T>(promise: Promise<T>): Promise<T> {
    if (this.#abandoned) {
      promise.catch(() => {});
      return Promise.reject(this.#abandoned);
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      promise.then(
        (value) => {
          this.#waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiting.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Calls waiting now, for tests. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Rejects every waiting call, and every later one, with `error`. */
  abandon(error: Error): void {
    this.#abandoned ??= error;
    for (const reject of this.#waiting) reject(this.#abandoned);
    this.#waiting.clear();
  }
}
