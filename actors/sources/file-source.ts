import type { Source } from '../../lib/operator/source.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { followReader } from './file-follow.ts';
import { fileOptions, splitReader, type FileSourceOptions, type LineFormat } from './line-source.ts';

/**
 * A file source of a line format: byte-range splits claimed on demand (rescalable), or in follow
 * mode one subtask per file, polling for new lines and files.
 */
export function fileSource<T>(pattern: string, format: LineFormat<T>, options: FileSourceOptions, describe: { readonly [key: string]: JsonValue }, functions: readonly Function[]): Source<T> {
  if (typeof pattern !== 'string' || pattern === '') throw errors.invalidOption(`${format.name} path`, pattern, 'a file, a directory or a glob such as data/*.csv');
  const { onMalformed, splitBytes, pollMs } = fileOptions(format.name, options);
  return {
    name: format.name,
    describe: { path: pattern, onMalformed, splitBytes, follow: pollMs ?? false, ...describe },
    functions,
    // Split n is the same byte range at any parallelism; followed files are dealt out by a hash of the parallelism.
    rescalable: pollMs === undefined,
    open: (context) =>
      pollMs === undefined ? splitReader(pattern, format, onMalformed, splitBytes, context) : followReader(pattern, format, onMalformed, pollMs, context),
  };
}
