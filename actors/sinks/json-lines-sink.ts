import type { Sink } from '../../lib/operator/sink.ts';
import { partFileSink, type PartFileOptions } from './part-files.ts';

/** Options of `sinks.jsonLines`: how part files roll and are named. */
export type JsonLinesSinkOptions = PartFileOptions;

/**
 * Writes records as JSON Lines (one `JSON.stringify(record)` a line) into part files in `dir`,
 * exactly once: each subtask writes hidden in-progress files as records come, rolls to a new part
 * past `rollBytes` (default 128 MiB) or `rollMs`, and renames its parts into place
 * (`part-<run>-<subtask>-<checkpoint>-<n>.jsonl`) when the checkpoint covering them completes, or at
 * the end of a bounded job (without checkpoints, everything is committed at the end). A restart
 * deletes what the failed attempt left in progress and writes those records again; files that are
 * not hidden are complete and never written twice.
 *
 * @example
 * ```ts
 * trades.to(sinks.jsonLines<Trade>('out/trades', { rollBytes: 64 * 1024 * 1024 }));
 * await run(module, { checkpointIntervalMs: 10_000 }); // out/trades/part-3f2a9c1e-0-1-0.jsonl, …
 * ```
 */
export function jsonLines<T>(dir: string, options?: JsonLinesSinkOptions): Sink<T> {
  return partFileSink<T>(
    {
      name: 'jsonLines',
      extension: '.jsonl',
      describe: null,
      createEncoder: () => ({
        encode: (record) => {
          const text = JSON.stringify(record);
          if (text === undefined) throw new TypeError(`${typeof record} is not JSON`);
          return `${text}\n`;
        },
      }),
    },
    dir,
    options,
  );
}
