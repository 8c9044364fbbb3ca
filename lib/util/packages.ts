/**
 * The CommonJS packages weir runs on, loaded with `require()`.
 *
 * Importing a CommonJS package from ES modules makes Node scan its source for export names (the
 * cjs-module-lexer) in every thread that imports it: 8-17 ms more per package than `require()`
 * at the start of each worker, and enough lexing to get the lexer itself JIT-compiled. Every job
 * starts fresh workers, so that cost was paid per job and per worker.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const xstate = require('xstate') as typeof import('xstate');
export const comlink = require('comlink') as typeof import('comlink');
