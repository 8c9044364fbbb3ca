import Papa from 'papaparse';
import type { Source } from '../../lib/operator/source.ts';
import { errors } from '../../lib/errors.ts';
import type { LineBlock } from './file-splits.ts';
import { fileSource } from './file-source.ts';
import { BLANK, Malformed, type FileSourceOptions, type LineFormat, type LineResult } from './line-source.ts';

/** The type of a CSV column in a schema; with `?` an empty field is `null` instead of malformed. */
export type CsvColumnType = 'string' | 'number' | 'integer' | 'boolean';
export type CsvSchema = { readonly [column: string]: CsvColumnType | `${CsvColumnType}?` };

type ValueOf<C> = C extends 'string' ? string : C extends 'number' | 'integer' ? number : C extends 'boolean' ? boolean : never;
/** The record a schema maps a row to: `{ price: 'number', note: 'string?' }` → `{ price: number; note: string | null }`. */
export type CsvRow<S extends CsvSchema> = { -readonly [K in keyof S]: S[K] extends `${infer C}?` ? ValueOf<C> | null : ValueOf<S[K]> };

/** Options of every CSV source. A record is one line: a quoted field may hold the delimiter and `""`, not a line break. */
export interface CsvOptions extends FileSourceOptions {
  /** Whether each file's first line names the columns. Default true. */
  readonly header?: boolean;
  /** The column names when files have no header (the field count each row must have). */
  readonly columns?: readonly string[];
  /** Default `,`. */
  readonly delimiter?: string;
  /** Default `"`. */
  readonly quote?: string;
}

/** Rows mapped by a schema: each named column converted to its type; a field that does not convert makes the row malformed. */
export interface CsvSchemaOptions<S extends CsvSchema> extends CsvOptions {
  readonly schema: S;
}

/** Rows mapped by a function of the fields (and the column names, if known); a throw makes the row malformed, with its message as the reason. */
export interface CsvParseOptions<T> extends CsvOptions {
  readonly parse: (fields: string[], columns: readonly string[] | undefined) => T;
}

/**
 * A CSV source over a file, the files of a directory, or a glob: files are read in byte-range splits
 * by all the source's subtasks at once, each line parsed (papaparse for lines with quotes) and mapped by a schema or a
 * function (without either, a record is an object of strings by column name). A row with the wrong
 * number of fields, a field its schema type rejects, a broken quote, or a throw of `parse` is
 * malformed: a dead letter `{ file, line, offset, text }` with the reason, or with `onMalformed:
 * 'fail'` the job's failure.
 *
 * @example
 * ```ts
 * env.from(sources.csv('data/trades-*.csv', { schema: { symbol: 'string', price: 'number', qty: 'integer' } }))
 *   .keyBy((t) => t.symbol) // t: { symbol: string; price: number; qty: number }
 * ```
 */
export function csv<S extends CsvSchema>(path: string, options: CsvSchemaOptions<S>): Source<CsvRow<S>>;
export function csv<T>(path: string, options: CsvParseOptions<T>): Source<T>;
export function csv(path: string, options?: CsvOptions): Source<Record<string, string>>;
export function csv(path: string, options: CsvOptions & { schema?: CsvSchema; parse?: (fields: string[], columns: readonly string[] | undefined) => unknown } = {}): Source<unknown> {
  const header = options.header ?? true;
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? '"';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /[\r\n]/.test(delimiter)) throw errors.invalidOption('csv delimiter', delimiter, 'a non-empty string without line breaks, e.g. "," or ";"');
  if (typeof quote !== 'string' || quote.length !== 1) throw errors.invalidOption('csv quote', quote, 'one character, e.g. \'"\'');
  const { schema, parse, columns } = options;
  if (schema !== undefined && parse !== undefined) throw errors.invalidOption('csv schema', schema, 'either a schema or a parse function, not both');
  if (parse !== undefined && typeof parse !== 'function') throw errors.invalidOption('csv parse', parse, 'a function (fields, columns) => record');
  if (schema !== undefined) checkSchema(schema);
  if (!header && columns === undefined && parse === undefined) throw errors.invalidOption('csv columns', columns, 'the column names, as the files have no header (header: false), or a parse function');
  const format: LineFormat<unknown> = {
    name: 'csv',
    header,
    forFile(file, headerLine) {
      const names = headerLine === undefined ? columns : headerFields(headerLine, file, delimiter, quote);
      const map = schema !== undefined ? schemaMapping(schema, names!, file) : parse !== undefined ? (fields: string[]) => parse(fields, names) : objectMapping(names!);
      return (block) => parseBlock(block, delimiter, quote, names?.length, map);
    },
  };
  return fileSource(path, format, options, { header, delimiter, quote, ...(columns ? { columns: [...columns] } : {}), ...(schema ? { schema: { ...schema } } : {}) }, parse ? [parse] : []);
}

const TYPES = new Set(['string', 'number', 'integer', 'boolean']);

function checkSchema(schema: CsvSchema): void {
  if (typeof schema !== 'object' || schema === null || Object.keys(schema).length === 0) throw errors.invalidOption('csv schema', schema, "an object of column types, e.g. { price: 'number' }");
  for (const [column, type] of Object.entries(schema)) {
    if (!TYPES.has(String(type).replace(/\?$/, ''))) throw errors.invalidOption(`csv schema.${column}`, type, "'string', 'number', 'integer' or 'boolean', with '?' for null when empty");
  }
}

function headerFields(line: string, file: string, delimiter: string, quote: string): string[] {
  const parsed = Papa.parse<string[]>(line.endsWith('\r') ? line.slice(0, -1) : line, { delimiter, quoteChar: quote, newline: '\n' });
  if (parsed.errors.length > 0 || parsed.data.length !== 1) throw new Error(`csv source: the header of ${file} cannot be read: ${parsed.errors[0]?.message ?? 'not one line of fields'}`);
  return parsed.data[0]!.map((name) => name.trim());
}

/** A row mapping: a record, or a Malformed for a field it rejects. */
type Mapping = (fields: string[]) => unknown;

function objectMapping(names: readonly string[]): Mapping {
  return (fields) => {
    const record: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) record[names[i]!] = fields[i]!;
    return record;
  };
}

/** Converters per schema column, by field index; a throw-free path, as a rejected field is data, not an error. */
function schemaMapping(schema: CsvSchema, names: readonly string[], file: string): Mapping {
  const columns = Object.entries(schema).map(([name, type]) => {
    const index = names.indexOf(name);
    if (index < 0) throw new Error(`csv source: the schema's column "${name}" is not among the columns of ${file}: ${names.join(', ')}; fix the schema, or the header (or columns option)`);
    const optional = type.endsWith('?');
    return { name, index, kind: (optional ? type.slice(0, -1) : type) as CsvColumnType, optional };
  });
  return (fields) => {
    const record: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) {
      const { name, index, kind, optional } = columns[c]!;
      const field = fields[index]!;
      if (field.length === 0 && optional) {
        record[name] = null;
        continue;
      }
      const value = convert(kind, field);
      if (value === undefined) return new Malformed(`column "${name}": ${JSON.stringify(field)} is not ${kind === 'integer' ? 'an integer' : `a ${kind}`}`);
      record[name] = value;
    }
    return record;
  };
}

function convert(kind: CsvColumnType, field: string): string | number | boolean | undefined {
  switch (kind) {
    case 'string':
      return field;
    case 'number':
    case 'integer': {
      const n = Number(field);
      // Number('') and Number('  ') are 0: an empty field is no number.
      if (n !== n || (n === 0 && field.trim() === '') || !Number.isFinite(n)) return undefined;
      return kind === 'integer' && !Number.isSafeInteger(n) ? undefined : n;
    }
    case 'boolean':
      return field === 'true' ? true : field === 'false' ? false : undefined;
  }
}

const papaOptions = (delimiter: string, quote: string) => ({ delimiter, quoteChar: quote, newline: '\n' as const, skipEmptyLines: false });

/**
 * Splits each line into fields: a line without the quote character by `split` (what papaparse itself
 * does for input without quotes, its "fast mode"), a line with one by papaparse. Papaparse over a
 * whole block costs five times as much as splitting its lines (measured: 1.9M rows in 5.0 s against
 * 1.1 s, most of it garbage collection inside the parser), so it parses only the lines that need it;
 * one line per call also keeps a quote left open from running on into the next lines.
 */
function parseBlock(block: LineBlock, delimiter: string, quote: string, fieldCount: number | undefined, map: Mapping): LineResult<unknown>[] {
  const { lines } = block;
  const results = new Array<LineResult<unknown>>(lines.length);
  for (let i = 0; i < lines.length; i++) results[i] = parseLine(lines[i]!, delimiter, quote, fieldCount, map);
  return results;
}

function parseLine(line: string, delimiter: string, quote: string, fieldCount: number | undefined, map: Mapping): LineResult<unknown> {
  if (line.length === 0 || line === '\r') return BLANK;
  if (line.indexOf(quote) < 0) return row(line.split(delimiter), fieldCount, map);
  const parsed = Papa.parse<string[]>(line, papaOptions(delimiter, quote));
  if (parsed.errors.length > 0) return new Malformed(parsed.errors[0]!.message);
  return row(parsed.data[0]!, fieldCount, map);
}

function row(fields: string[], fieldCount: number | undefined, map: Mapping): LineResult<unknown> {
  const last = fields[fields.length - 1]!;
  if (last.charCodeAt(last.length - 1) === 13) fields[fields.length - 1] = last.slice(0, -1);
  if (fieldCount !== undefined && fields.length !== fieldCount) return new Malformed(`expected ${fieldCount} fields, found ${fields.length}`);
  try {
    return map(fields) as LineResult<unknown>;
  } catch (cause) {
    return new Malformed(cause instanceof Error ? cause.message : String(cause));
  }
}
