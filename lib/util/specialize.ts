import { generatedOr } from './code-generation.ts';

/**
 * A fresh copy of a hot function for each place it is used.
 *
 * V8 keeps type feedback per function, not per closure or instance. A `Stage.collect` shared by
 * every operator of a worker (and, on a Runtime, by every job it ran) sees them all at its
 * `operator.process` call, turns megamorphic, and then inlines nothing after it: in the bid
 * benchmark at parallelism 1 that cost more than all of weir's other per-record work together.
 * A function compiled anew from a source text of its own has feedback of its own, so each stage's
 * call sees one operator and the whole chain can be inlined into the source's read loop. (The text
 * must differ from copy to copy: V8 hands back what it compiled before for a text it has seen.)
 *
 * `factory` builds the hot function from its arguments; it is compiled again from its own text
 * (`factory.toString()`), so it may use only its parameters and globals, never a variable or import
 * of the module that defines it: pass those in. Where code generation from strings is disabled
 * (`--disallow-code-generation-from-strings`, see code-generation.ts) the factory itself is used:
 * correct, just shared.
 *
 * @example
 * ```ts
 * const collect = specialize((operator, next) => (record: unknown) => operator.process(record, next), operator, next);
 * ```
 */
export function specialize<A extends unknown[], F>(factory: (...args: A) => F, ...args: A): F {
  return generatedOr(
    () => copyOf(factory),
    () => factory,
  )(...args);
}

/** Compiled copies need the text once per factory. */
const sources = new WeakMap<Function, string>();

/** esbuild (tsx) wraps functions in `__name(fn, "name")` to keep their names; a copy gets a stand-in. */
const keepName = <T>(fn: T): T => fn;

/** Numbers the copies: see copyOf. */
let copies = 0;

function copyOf<A extends unknown[], F>(factory: (...args: A) => F): (...args: A) => F {
  let source = sources.get(factory);
  if (source === undefined) sources.set(factory, (source = factory.toString()));
  // Every copy's text is unique. V8 caches what `new Function` compiles by its text: from the
  // second time it sees a text on, it hands back the same function with the same type feedback,
  // and the copies would be one function again. The sourceURL also names the copies after their
  // factory in profiles and stack traces.
  const text = `'use strict';\nreturn (${source});\n//# sourceURL=weir:${factory.name || 'specialized'}/${++copies}`;
  return new Function('__name', text)(keepName) as (...args: A) => F;
}
