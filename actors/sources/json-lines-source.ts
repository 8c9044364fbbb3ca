import type { Source } from '../../lib/operator/source.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { fileSource } from './file-source.ts';
import { BLANK, Malformed, type FileSourceOptions, type LineFormat, type LineResult } from './line-source.ts';

/** Options of a JSON Lines source. */
export interface JsonLinesOptions<T> extends FileSourceOptions {
  /** Maps a line's value to the record; a throw makes the line malformed, with its message as the reason. Default: the value itself. */
  readonly parse?: (value: JsonValue) => T;
}

/**
 * A JSON Lines source (one JSON value per line) over a file, the files of a directory, or a glob,
 * read in byte-range splits by all the source's subtasks at once. A line that is not JSON, or that
 * `parse` rejects by throwing, is malformed: a dead letter `{ file, line, offset, text }` with the
 * reason, or with `onMalformed: 'fail'` the job's failure. Blank lines are no records.
 *
 * @example
 * ```ts
 * interface Click { user: string; url: string; ts: number }
 * env.from(sources.jsonLines<Click>('logs/', { parse: (v) => { const c = v as unknown as Click; if (typeof c.user !== 'string') throw new Error('no user'); return c; } }))
 * ```
 */
export function jsonLines<T = JsonValue>(path: string, options: JsonLinesOptions<T> = {}): Source<T> {
  const { parse } = options;
  if (parse !== undefined && typeof parse !== 'function') throw errors.invalidOption('jsonLines parse', parse, 'a function (value) => record');
  const format: LineFormat<T> = {
    name: 'jsonLines',
    header: false,
    forFile: () => (block) => block.lines.map((line) => parseLine(line, parse)),
  };
  return fileSource(path, format, options, {}, parse ? [parse] : []);
}

function parseLine<T>(line: string, parse: ((value: JsonValue) => T) | undefined): LineResult<T> {
  let value: JsonValue;
  try {
    value = JSON.parse(line) as JsonValue;
  } catch (cause) {
    // Blank lines are checked only here: JSON.parse rejects them too, and most lines are not blank.
    return line.trim() === '' ? BLANK : new Malformed(`invalid JSON: ${(cause as Error).message}`);
  }
  if (parse === undefined) return value as T;
  try {
    return parse(value);
  } catch (cause) {
    return new Malformed(cause instanceof Error ? cause.message : String(cause));
  }
}
