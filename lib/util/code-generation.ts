/** False once V8 refused to compile code from a string in this thread: no use asking again. */
let allowed = true;

/**
 * Code compiled at run time (`new Function`), or `fallback` where the process disallows code
 * generation from strings (`node --disallow-code-generation-from-strings`, or an embedder's V8
 * policy): same behaviour, only slower. Any other error from `compile` is thrown.
 *
 * @example
 * ```ts
 * const add = generatedOr(() => new Function('a', 'b', 'return a + b') as (a: number, b: number) => number, () => (a, b) => a + b);
 * ```
 */
export function generatedOr<F>(compile: () => F, fallback: () => F): F {
  if (allowed) {
    try {
      return compile();
    } catch (error) {
      if (!(error instanceof EvalError)) throw error;
      allowed = false;
    }
  }
  return fallback();
}
