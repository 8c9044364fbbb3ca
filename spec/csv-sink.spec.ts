/**
 * The CSV sink's quoting: whatever the fields hold (delimiters, quotes, line breaks, any unicode),
 * a well-kept parser (csv-parse) reads back exactly the fields written.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { csv, csvField, csvRow } from '../actors/sinks/csv-sink.ts';

const Csv = suite('csv sink quoting');

/** Strings rich in what CSV must quote. */
const field = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('a', ',', ';', '"', '\n', '\r', ' ', '\t', 'é'), maxLength: 12 }),
);

Csv('rows of arbitrary fields read back the same through csv-parse, with , and ; as delimiters', () => {
  fc.assert(
    fc.property(fc.constantFrom(',', ';', '\t'), fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), (delimiter, rows) => {
      const text = rows.map((row) => csvRow(row, delimiter)).join('');
      const read = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false }) as string[][];
      assert.equal(read, rows, `written: ${JSON.stringify(text)}`);
    }),
    { numRuns: 500 },
  );
});

Csv('values other than strings: empty for null and undefined, ISO dates, JSON objects (quoted), numbers as printed', () => {
  assert.is(csvRow([null, undefined, 1.5, true, new Date(0), { a: 1, b: 'x' }]), ',,1.5,true,1970-01-01T00:00:00.000Z,"{""a"":1,""b"":""x""}"\n');
  assert.is(csvField('plain'), 'plain');
  assert.is(csvField('say "hi", then go'), '"say ""hi"", then go"');
  assert.is(csvRow(['']), '""\n', 'a row of one empty field is not an empty line');
});

Csv('options are checked where the sink is declared', () => {
  assert.throws(() => csv('out', { delimiter: '"' }), /delimiter.*one character/);
  assert.throws(() => csv('out', { columns: [] as never[] }), /columns.*non-empty array/);
  assert.throws(() => csv('', {}), /dir.*non-empty/);
  assert.throws(() => csv('out', { rollBytes: 0 }), /rollBytes.*positive/);
  assert.throws(() => csv('out', { prefix: '.hidden' }), /prefix/);
});

Csv.run();
