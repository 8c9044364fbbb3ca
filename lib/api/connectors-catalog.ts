import { fromArray, fromIterable } from '../../actors/sources/array-source.ts';
import { generate } from '../../actors/sources/generate-source.ts';
import { input } from '../../actors/sources/input-source.ts';
import { fromReadable } from '../../actors/sources/readable-source.ts';
import { toWritable } from '../../actors/sinks/writable-sink.ts';
import { collect } from '../../actors/sinks/collect-sink.ts';
import { console } from '../../actors/sinks/console-sink.ts';
import { discard } from '../../actors/sinks/discard-sink.ts';
import { jsonLines as jsonLinesSink } from '../../actors/sinks/json-lines-sink.ts';
import { csv as csvSink } from '../../actors/sinks/csv-sink.ts';

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

/** Built-in sinks. `collect(name)` is how records reach the calling process; `jsonLines` and `csv` write part files exactly once. */
export const sinks = {
  collect,
  console,
  discard,
  jsonLines: jsonLinesSink,
  csv: csvSink,
  toWritable,
} as const;
