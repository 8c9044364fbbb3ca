import { fromArray, fromIterable } from '../../actors/sources/array-source.ts';
import { generate } from '../../actors/sources/generate-source.ts';
import { input } from '../../actors/sources/input-source.ts';
import { fromReadable } from '../../actors/sources/readable-source.ts';
import { toWritable } from '../../actors/sinks/writable-sink.ts';
import { collect } from '../../actors/sinks/collect-sink.ts';
import { console } from '../../actors/sinks/console-sink.ts';
import { discard } from '../../actors/sinks/discard-sink.ts';

/**
 * Built-in sources. All expose an offset; `input` is replayed from the coordinator's log, and
 * `fromReadable` by reading its stream again (see their `restore` notes).
 */
export const sources = {
  fromArray,
  fromIterable,
  generate,
  input,
  fromReadable,
} as const;

/** Built-in sinks. `collect(name)` is how records reach the calling process. */
export const sinks = {
  collect,
  console,
  discard,
  toWritable,
} as const;
