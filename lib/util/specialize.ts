/**
 * A fresh copy of a hot function for each place it is used.
 *
 * V8 keeps type feedback per function, not per closure or instance. A `Stage.collect` shared by
 * every operator of a worker sees them all at its `operator.process` call, turns megamorphic, and
 * then inlines nothing after it: in the bid benchmark at parallelism 1 that cost more than all of
 * weir's other per-record work together (CPU per record 155-160 ns → 110-125 ns once each stage had
 * its own copy). A function compiled from source text has feedback of its own, so each stage's call
 * sees one operator and the whole chain can be inlined into the source's read loop.
 *
 * `source` is the text of a function expression; `bindings` are the only names it may use besides
 * globals. Where code generation from strings is disabled (`--disallow-code-generation-from-strings`),
 * `fallback` builds the same function as a closure: correct, just without feedback of its own.
 */
export function specialize<F extends Function>(bindings: Readonly<Record<string, unknown>>, source: string, fallback: () => F): F {
  let factory: Function;
  try {
    factory = new Function(...Object.keys(bindings), `'use strict';\nreturn ${source};`);
  } catch (error) {
    if (error instanceof EvalError) return fallback();
    throw error;
  }
  return factory(...Object.values(bindings)) as F;
}
