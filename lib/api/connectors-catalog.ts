import { fromArray, fromIterable } from '../../actors/sources/array-source.ts';
import { generate } from '../../actors/sources/generate-source.ts';
import { csv } from '../../actors/sources/csv-source.ts';
import { jsonLines } from '../../actors/sources/json-lines-source.ts';
import { input } from '../../actors/sources/input-source.ts';
import { fromReadable } from '../../actors/sources/readable-source.ts';
import { toWritable } from '../../actors/sinks/writable-sink.ts';
import { collect } from '../../actors/sinks/collect-sink.ts';
import { console } from '../../actors/sinks/console-sink.ts';
import { discard } from '../../actors/sinks/discard-sink.ts';
import { jsonLines as jsonLinesSink } from '../../actors/sinks/json-lines-sink.ts';
import { csv as csvSink } from '../../actors/sinks/csv-sink.ts';
import { sqliteSink as sqlite } from '../../actors/sinks/sqlite-sink.ts';
import { postgresSink as postgres } from '../../actors/sinks/postgres-sink.ts';
import { redisStream } from '../../actors/sources/redis-stream-source.ts';
import { redis } from '../../actors/sinks/redis-sink.ts';
import { jetstream as jetstreamSource } from '../../actors/sources/jetstream-source.ts';
import { jetstream as jetstreamSink } from '../../actors/sinks/jetstream-sink.ts';

/**
 * Built-in sources. All expose an offset; `input` is replayed from the coordinator's log,
 * `fromReadable` by reading its stream again (see their `restore` notes), and the broker sources
 * acknowledge what a completed checkpoint covers.
 */
export const sources = {
  fromArray,
  fromIterable,
  generate,
  csv,
  jsonLines,
  input,
  fromReadable,
  redisStream,
  jetstream: jetstreamSource,
} as const;

/** Built-in sinks. `collect(name)` is how records reach the calling process; `toWritable` writes to a Node stream (at least once); the others write files, databases and brokers exactly once. */
export const sinks = {
  collect,
  console,
  discard,
  jsonLines: jsonLinesSink,
  csv: csvSink,
  sqlite,
  postgres,
  redis,
  jetstream: jetstreamSink,
  toWritable,
} as const;
