import { fromArray, fromIterable } from '../../actors/sources/array-source.ts';
import { generate } from '../../actors/sources/generate-source.ts';
import { collect } from '../../actors/sinks/collect-sink.ts';
import { console } from '../../actors/sinks/console-sink.ts';
import { discard } from '../../actors/sinks/discard-sink.ts';
import { sqliteSink as sqlite } from '../../actors/sinks/sqlite-sink.ts';
import { postgresSink as postgres } from '../../actors/sinks/postgres-sink.ts';
import { redisStream } from '../../actors/sources/redis-stream-source.ts';
import { redis } from '../../actors/sinks/redis-sink.ts';
import { jetstream as jetstreamSource } from '../../actors/sources/jetstream-source.ts';
import { jetstream as jetstreamSink } from '../../actors/sinks/jetstream-sink.ts';

/** Built-in sources. All are replayable: their readers expose an offset. */
export const sources = {
  fromArray,
  fromIterable,
  generate,
  redisStream,
  jetstream: jetstreamSource,
} as const;

/** Built-in sinks. `collect(name)` is how records reach the calling process. */
export const sinks = {
  collect,
  console,
  discard,
  sqlite,
  postgres,
  redis,
  jetstream: jetstreamSink,
} as const;
