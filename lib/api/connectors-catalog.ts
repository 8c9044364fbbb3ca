import { fromArray, fromIterable } from '../../actors/sources/array-source.ts';
import { generate } from '../../actors/sources/generate-source.ts';
import { csv } from '../../actors/sources/csv-source.ts';
import { jsonLines } from '../../actors/sources/json-lines-source.ts';
import { collect } from '../../actors/sinks/collect-sink.ts';
import { console } from '../../actors/sinks/console-sink.ts';
import { discard } from '../../actors/sinks/discard-sink.ts';

/** Built-in sources. All are replayable: their readers expose an offset. */
export const sources = { fromArray, fromIterable, generate, csv, jsonLines } as const;

/** Built-in sinks. `collect(name)` is how records reach the calling process. */
export const sinks = { collect, console, discard } as const;
