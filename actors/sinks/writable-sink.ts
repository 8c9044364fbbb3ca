import type { Writable } from 'node:stream';
import type { Sink } from '../../lib/operator/sink.ts';
import type { OperatorContext } from '../../lib/operator/operator.ts';
import type { StreamSubtask } from '../sources/readable-source.ts';
import { errors } from '../../lib/errors.ts';
import { hashString } from '../../lib/util/hash.ts';

export interface ToWritableOptions {
  /**
   * `'objects'` (default): each record is handed to `write()` as it is (an object-mode stream).
   * `'lines'`: each record is written as a line of text: a string as it is, anything else as JSON,
   * followed by `\n` (for a file or a socket).
   */
  format?: 'objects' | 'lines';
}

/**
 * Writes the records of each sink subtask to a Node `Writable` made by `factory` in the worker (a digest
 * of its text enters the job's fingerprint). Backpressure reaches the job: when
 * `write()` returns false the subtask takes no input until the stream's `'drain'`, so a slow stream
 * slows the job down (its upstream runs out of credit) instead of buffering. At the end of a bounded
 * job the stream is ended, and the job finishes once it has emitted `'finish'`. An `'error'` of the
 * stream fails the subtask, naming the sink (the restart strategy applies). Torn down before its end
 * (cancel, failure), the stream is destroyed.
 *
 * Each subtask writes its records in the order it receives them to its own stream:
 * `factory({ subtaskIndex, parallelism })`. Delivery is at-least-once: a job restored from a
 * checkpoint writes again what came after it (to a stream the factory makes anew).
 *
 * @example
 * ```ts
 * import { createWriteStream } from 'node:fs';
 * totals.to(sinks.toWritable(({ subtaskIndex }) => createWriteStream(`totals-${subtaskIndex}.jsonl`), { format: 'lines' }));
 * ```
 */
export function toWritable<T>(factory: (subtask: StreamSubtask) => Writable, options: ToWritableOptions = {}): Sink<T> {
  if (typeof factory !== 'function') throw errors.invalidOption('toWritable factory', factory, 'a function returning a Writable, called in the worker');
  const format = options.format ?? 'objects';
  if (format !== 'objects' && format !== 'lines') throw errors.invalidOption('toWritable format', format, "'objects' or 'lines'");
  const lines = format === 'lines';
  return {
    name: 'toWritable',
    describe: { format, factory: hashString(factory.toString()) },
    createOperator: () => {
      let stream: Writable | undefined;
      let context: OperatorContext;
      let finished = false;
      /** A wait for 'drain' is under way. */
      let draining = false;
      /** Resolves at `event`, rejects at the stream's error (which fails the subtask through `waitFor`). */
      const until = (s: Writable, event: 'drain' | 'finish'): Promise<void> =>
        new Promise((resolve, reject) => {
          const done = (error?: Error): void => {
            s.off(event, onEvent);
            s.off('error', done);
            if (error) reject(error);
            else resolve();
          };
          const onEvent = (): void => done();
          s.once(event, onEvent);
          s.once('error', done);
        });
      return {
        open(ctx) {
          context = ctx;
          const { subtaskIndex, parallelism } = ctx;
          const made = factory({ subtaskIndex, parallelism });
          if (!made || typeof made.write !== 'function' || typeof made.end !== 'function') {
            throw new Error(`the toWritable factory returned ${made === null ? 'null' : typeof made}, not a Writable`);
          }
          stream = made;
          // An error while the subtask is not waiting on the stream fails it too, at once.
          made.on('error', (error: Error) => {
            if (!finished) context.waitFor(Promise.reject(error));
          });
        },
        process(record: T) {
          const s = stream!;
          if (s.errored) throw s.errored;
          const chunk = lines ? `${typeof record === 'string' ? record : JSON.stringify(record)}\n` : record;
          // One wait per drain: the rest of the batch being processed goes into the stream's buffer (a batch beyond its highWaterMark at most).
          if (!s.write(chunk) && !draining) {
            draining = true;
            context.waitFor(until(s, 'drain').finally(() => (draining = false)));
          }
        },
        close() {
          const s = stream!;
          context.waitFor(
            until(s, 'finish').then(() => {
              finished = true;
            }),
          );
          s.end();
        },
        dispose() {
          if (!finished) stream?.destroy();
        },
      };
    },
  };
}
