import type { Sink } from '../../lib/operator/sink.ts';
import { errors } from '../../lib/errors.ts';
import { partFileSink, type PartEncoder, type PartFileOptions } from './part-files.ts';

/** Options of `sinks.csv`: the columns, the header, the delimiter, and how part files roll. */
export interface CsvSinkOptions<T> extends PartFileOptions {
  /**
   * The fields written, in order: properties of object records, and the header's names. Without
   * it, object records are written with the properties of the first one each subtask sees (give
   * `columns` for the same header in every file) and array records as they are.
   */
  readonly columns?: readonly (T extends readonly unknown[] ? string : Extract<keyof T, string>)[];
  /** A header line at the top of every part file (default: true when there are column names). */
  readonly header?: boolean;
  /** One character between fields (default `,`). */
  readonly delimiter?: string;
}

/**
 * One field as RFC 4180 writes it: quoted (quotes doubled) when it holds the delimiter, a quote, a
 * carriage return or a line feed. `null` and `undefined` are empty, a `Date` its ISO text, other
 * objects their JSON.
 *
 * @example
 * ```ts
 * csvField('say "hi", then go'); // '"say ""hi"", then go"'
 * ```
 */
export function csvField(value: unknown, delimiter = ','): string {
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : value instanceof Date
          ? value.toISOString()
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
  return text.includes('"') || text.includes(delimiter) || text.includes('\n') || text.includes('\r') ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One CSV line, its line feed included. A row of a single empty field is written `""`: an empty
 * line would read back as no row at all.
 *
 * @example
 * ```ts
 * csvRow(['a,b', 1, null]); // '"a,b",1,\n'
 * ```
 */
export function csvRow(fields: readonly unknown[], delimiter = ','): string {
  if (fields.length === 1 && csvField(fields[0], delimiter) === '') return '""\n';
  let line = '';
  for (let i = 0; i < fields.length; i++) line += (i === 0 ? '' : delimiter) + csvField(fields[i], delimiter);
  return `${line}\n`;
}

/**
 * Writes records as CSV into part files in `dir`, exactly once, as `sinks.jsonLines` does (hidden
 * in-progress parts, rolled by `rollBytes` / `rollMs`, renamed to
 * `part-<run>-<subtask>-<checkpoint>-<n>.csv` when their checkpoint completes or the bounded job
 * ends). Fields holding the delimiter, quotes or line breaks are quoted (RFC 4180); every part
 * starts with the header, so each file reads on its own.
 *
 * @example
 * ```ts
 * totals.to(sinks.csv<Total>('out/totals', { columns: ['symbol', 'volume', 'vwap'] }));
 * ```
 */
export function csv<T extends object>(dir: string, options: CsvSinkOptions<T> = {}): Sink<T> {
  const at = `sinks.csv("${String(dir)}")`;
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw errors.invalidOption(`${at} delimiter`, delimiter, 'one character, not a quote or a line break');
  }
  const given = options.columns as readonly string[] | undefined;
  if (given !== undefined && (!Array.isArray(given) || given.length === 0 || !given.every((c) => typeof c === 'string'))) {
    throw errors.invalidOption(`${at} columns`, given, 'a non-empty array of field names');
  }
  if (options.header !== undefined && typeof options.header !== 'boolean') throw errors.invalidOption(`${at} header`, options.header, 'true or false');
  const createEncoder = (): PartEncoder<T> => {
    let columns = given;
    return {
      encode(record) {
        if (Array.isArray(record)) return csvRow(record, delimiter);
        if (typeof record !== 'object' || record === null) throw new TypeError(`a CSV record is an object or an array, got ${record === null ? 'null' : typeof record}`);
        columns ??= Object.keys(record);
        const fields = record as Record<string, unknown>;
        return csvRow(columns.map((c) => fields[c]), delimiter);
      },
      header() {
        if (options.header === false) return undefined;
        if (columns === undefined) {
          if (options.header === true) throw new TypeError('header: true needs column names: give `columns` when the records are arrays');
          return undefined;
        }
        return csvRow(columns, delimiter);
      },
    };
  };
  const describe = { columns: given ?? null, header: options.header ?? null, delimiter };
  return partFileSink<T>({ name: 'csv', extension: '.csv', describe, createEncoder }, dir, options);
}
