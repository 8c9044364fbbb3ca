import fc from 'fast-check';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LineCounter, LineReader, lineStartAtOrAfter, SplitPlan } from '../actors/sources/file-splits.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-splits-'));
let files = 0;

/** Writes `text` to a new file and returns its descriptor. */
function fileOf(text: string): number {
  const path = join(dir, `f${files++}`);
  writeFileSync(path, text);
  return openSync(path, 'r');
}

/** The lines of a text as a line reader must give them: split at `\n`, no empty last line for a final newline. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Text of lines of any length (empty ones, multi-byte characters, `\r`), with or without a final newline. */
const text = fc
  .tuple(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constant(''), fc.constant('a,b\r')), { maxLength: 60 }), fc.boolean())
  .map(([lines, final]) => lines.map((l) => l.replaceAll('\n', ' ')).join('\n') + (final && lines.length > 0 ? '\n' : ''));

const Splits = suite('file splits');

Splits('every line exactly once, in order, at its byte position, whatever the split size and read chunk', () => {
  fc.assert(
    fc.property(text, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 64 }), (content, splitBytes, chunk) => {
      const fd = fileOf(content);
      const bytes = Buffer.from(content);
      const plan = new SplitPlan([{ file: 'f', size: bytes.length }], splitBytes);
      const lines: string[] = [];
      const starts: number[] = [];
      for (let n = 0; n < plan.count; n++) {
        const { start, end } = plan.split(n)!;
        const reader = new LineReader(fd, lineStartAtOrAfter(fd, start), end, true, chunk);
        for (let block = reader.next(); block !== undefined; block = reader.next()) {
          assert.is(block.text, block.lines.join('\n') + (block.text.endsWith('\n') ? '\n' : ''), 'a block is its lines');
          lines.push(...block.lines);
          starts.push(...block.starts);
        }
      }
      closeSync(fd);
      assert.equal(lines, linesOf(content));
      const expectedStarts = [0];
      for (let i = bytes.indexOf(10); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(10, i + 1)) expectedStarts.push(i + 1);
      assert.equal(starts, content === '' ? [] : expectedStarts);
    }),
    { numRuns: 300 },
  );
});

Splits('splits are numbered across the files, a file of n bytes in ceil(n / size) of them, an empty one in none', () => {
  const plan = new SplitPlan(
    [
      { file: 'a', size: 10 },
      { file: 'empty', size: 0 },
      { file: 'b', size: 3 },
    ],
    4,
  );
  assert.is(plan.count, 4);
  assert.equal(plan.split(0), { file: 'a', start: 0, end: 4 });
  assert.equal(plan.split(2), { file: 'a', start: 8, end: 10 });
  assert.equal(plan.split(3), { file: 'b', start: 0, end: 3 });
  assert.is(plan.split(4), undefined);
});

Splits('following, a last line without its newline waits for it', () => {
  const path = join(dir, 'growing');
  writeFileSync(path, 'one\ntw');
  const fd = openSync(path, 'r');
  const reader = new LineReader(fd, 0, Infinity, false, 8);
  assert.equal(reader.next()?.lines, ['one']);
  assert.is(reader.next(), undefined);
  writeFileSync(path, 'one\ntwo\nthree\n');
  const lines: string[] = [];
  for (let block = reader.next(); block !== undefined; block = reader.next()) lines.push(...block.lines);
  assert.equal(lines, ['two', 'three']);
  closeSync(fd);
});

Splits('a line longer than the read chunk grows the buffer, and it shrinks back after', () => {
  const long = 'x'.repeat(1000);
  const fd = fileOf(`a\n${long}\nb\n`);
  const reader = new LineReader(fd, 0, Infinity, true, 16);
  const lines: string[] = [];
  for (let block = reader.next(); block !== undefined; block = reader.next()) lines.push(...block.lines);
  assert.equal(lines, ['a', long, 'b']);
  closeSync(fd);
});

Splits('line numbers are counted on demand, forwards from the last asked and again from the start when asked backwards', () => {
  const fd = fileOf('a\nbb\n\nccc\nd');
  const counter = new LineCounter(fd);
  assert.is(counter.lineAt(0), 1);
  assert.is(counter.lineAt(5), 3);
  assert.is(counter.lineAt(10), 5);
  assert.is(counter.lineAt(2), 2);
  closeSync(fd);
});

Splits.run();
