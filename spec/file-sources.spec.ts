/**
 * The CSV and JSON Lines sources' readers, opened as the runtime opens them (one split counter
 * shared by a source's subtasks): malformed lines of every kind, replay from offsets, rescaling, a
 * glob and a directory, and follow mode stepped on a ManualClock.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, sources, type JsonValue, type MalformedLine, type Source, type SourceContext, type SourceReader } from 'weir';
import { assertSameMultiset, sourceContext, thrownBy } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-file-sources-'));

interface Letter {
  record: MalformedLine;
  reason: string;
  key: string;
}

/** Opens `parallelism` readers of a source sharing one split counter; dead letters go to `letters`. */
function openAll<T>(source: Source<T>, parallelism: number, letters: Letter[] = [], counter = { next: 0 }, resumable: JsonValue[][] = [], extra: Partial<SourceContext> = {}): SourceReader<T>[] {
  return Array.from({ length: parallelism }, (_, subtaskIndex) =>
    source.open(
      sourceContext({
        subtaskIndex,
        parallelism,
        nextSplit: () => counter.next++,
        resumeSplit: () => resumable[subtaskIndex]?.shift(),
        deadLetter: (record, reason, key) => void letters.push({ record: record as unknown as MalformedLine, reason, key }),
        ...extra,
      }),
    ),
  );
}

/** Reads every reader to its end, `max` records a call, taking turns; returns all records. */
function drain<T>(readers: SourceReader<T>[], max = 7): T[] {
  const records: T[] = [];
  const out = { collect: (r: T) => void records.push(r), collectAll: (rs: readonly T[]) => void records.push(...rs) };
  const open = new Set(readers);
  while (open.size > 0) for (const reader of [...open]) if (!reader.read(max, out)) open.delete(reader);
  return records;
}

function readSome<T>(reader: SourceReader<T>, max: number): T[] {
  const records: T[] = [];
  reader.read(max, { collect: (r) => void records.push(r), collectAll: (rs) => void records.push(...rs) });
  return records;
}

const Malformed = suite('file sources: malformed lines');

const CSV_LINES = [
  'symbol,price,qty,venue',
  'AAA,10.5,3,LDN',
  'BBB,11,4', // too few fields
  'CCC,12,5,NY,extra', // too many
  'DDD,abc,6,LDN', // not a number
  'EEE,13,6.5,LDN', // not an integer
  '', // blank: no record, no dead letter
  'FFF,14,7,"NY, ""main"""', // quoted delimiter and quote: good
  'GGG,15,8,"unterminated', // a quote left open
  'HHH,,9,LDN', // empty number
  'III,16,10,LDN\r', // CRLF: good
  'JJJ,17,11,"bad"quote', // text after a closing quote
  'KKK,18,12,LDN',
];
const csvFile = join(dir, 'malformed.csv');
writeFileSync(csvFile, CSV_LINES.join('\n') + '\n');
const schema = { symbol: 'string', price: 'number', qty: 'integer', venue: 'string' } as const;

Malformed('each malformed row of every kind is a dead letter with its file, line, offset and reason; every good row a record; the counts add up', () => {
  for (const splitBytes of [1, 16, 1 << 20]) {
    for (const parallelism of [1, 3]) {
      const letters: Letter[] = [];
      const records = drain(openAll(sources.csv(csvFile, { schema, splitBytes }), parallelism, letters));
      assertSameMultiset(
        records.map((r) => r.symbol),
        ['AAA', 'FFF', 'III', 'KKK'],
        'good rows',
      );
      assert.equal(records.find((r) => r.symbol === 'FFF'), { symbol: 'FFF', price: 14, qty: 7, venue: 'NY, "main"' });
      assert.equal(records.find((r) => r.symbol === 'III')?.venue, 'LDN', 'the \\r of a CRLF line is no part of its last field');
      const byLine = new Map(letters.map((l) => [l.record.line, l]));
      const expected: [number, RegExp][] = [
        [3, /expected 4 fields, found 3/],
        [4, /expected 4 fields, found 5/],
        [5, /column "price": "abc" is not a number/],
        [6, /column "qty": "6.5" is not an integer/],
        [9, /Quoted field unterminated/],
        [10, /column "price": "" is not a number/],
        [12, /quote/i],
      ];
      assert.is(letters.length, expected.length, `dead letters at split size ${splitBytes}, parallelism ${parallelism}: ${JSON.stringify(letters)}`);
      for (const [line, reason] of expected) {
        const letter = byLine.get(line);
        assert.ok(letter, `a dead letter for line ${line}`);
        assert.match(letter!.reason, reason);
        assert.is(letter!.record.file, csvFile);
        assert.is(letter!.record.text, CSV_LINES[line - 1]);
        assert.is(letter!.record.offset, Buffer.byteLength(CSV_LINES.slice(0, line - 1).join('\n')) + 1);
        assert.is(letter!.key, `${csvFile}:${letter!.record.offset}`);
      }
      // header + good + malformed + blank = lines
      assert.is(1 + records.length + letters.length + 1, CSV_LINES.length);
    }
  }
});

Malformed('a parse function rejects a row by throwing: a dead letter with its message', () => {
  const letters: Letter[] = [];
  const parse = (fields: string[]) => {
    if (fields[0] === 'KKK') throw new Error('KKK is delisted');
    return fields[0]!;
  };
  const records = drain(openAll(sources.csv(csvFile, { parse }), 2, letters));
  assert.ok(records.includes('AAA') && !records.includes('KKK'));
  assert.ok(letters.some((l) => l.record.line === 13 && l.reason === 'KKK is delisted'));
});

Malformed('JSON Lines: invalid JSON and a rejecting parse are dead letters with line and reason; blank lines are no records', () => {
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, ['{"n":1}', '{"n":2', '', '  ', '{"n":"three"}', '[4]', '{"n":5}'].join('\n'));
  const letters: Letter[] = [];
  const parse = (value: JsonValue) => {
    const n = (value as { n?: unknown }).n;
    if (typeof n !== 'number') throw new Error(`n is ${JSON.stringify(n)}, not a number`);
    return n;
  };
  const records = drain(openAll(sources.jsonLines(file, { parse, splitBytes: 5 }), 2, letters));
  assertSameMultiset(records, [1, 5], 'good lines');
  const reasons = new Map(letters.map((l) => [l.record.line, l.reason]));
  assert.equal([...reasons.keys()].sort(), [2, 5, 6]);
  assert.match(reasons.get(2)!, /^invalid JSON/);
  assert.match(reasons.get(5)!, /n is "three"/);
  assert.match(reasons.get(6)!, /n is undefined/);
});

Malformed("onMalformed: 'fail' throws at the first malformed row, naming the file, the line and the reason", () => {
  const [reader] = openAll(sources.csv(csvFile, { schema, onMalformed: 'fail' }), 1);
  const error = thrownBy(() => drain([reader!]), 'the malformed row');
  assert.match(error.message, new RegExp(`malformed line 3 of ${csvFile.replaceAll('.', '\\.')} \\(byte \\d+\\): expected 4 fields, found 3`));
});

Malformed('a schema column missing from the header, and a missing file, are refused naming them', () => {
  const [reader] = openAll(sources.csv(csvFile, { schema: { symbol: 'string', bid: 'number' } }), 1);
  assert.match(thrownBy(() => drain([reader!]), 'the schema').message, /column "bid" is not among the columns of .*malformed\.csv: symbol, price, qty, venue/);
  assert.match(thrownBy(() => openAll(sources.csv(join(dir, 'nope-*.csv')), 1), 'no file').message, /no file matches/);
  assert.match(thrownBy(() => sources.csv(csvFile, { onMalformed: 'skip' as 'fail' }), 'the policy').message, /onMalformed/);
});

Malformed.run();

const Replay = suite('file sources: replay and rescaling');

const tradesDir = join(dir, 'trades');
mkdirSync(tradesDir);
const trade = (i: number) => `S${i % 13},${(i % 97) + 0.25},${i % 7}`;
for (let f = 0; f < 3; f++) writeFileSync(join(tradesDir, `t-${f}.csv`), ['symbol,price,qty', ...Array.from({ length: 500 + f * 100 }, (_, i) => trade(f * 1000 + i))].join('\n') + '\n');
writeFileSync(join(tradesDir, 'other.txt'), 'not,a,trade\n');
writeFileSync(join(tradesDir, '.hidden.csv'), 'symbol,price,qty\nHIDDEN,1,1\n');
const allTrades = [0, 1, 2].flatMap((f) => Array.from({ length: 500 + f * 100 }, (_, i) => trade(f * 1000 + i)));
const tradeSchema = { symbol: 'string', price: 'number', qty: 'integer' } as const;
const asLine = (r: { symbol: string; price: number; qty: number }) => `${r.symbol},${r.price},${r.qty}`;

Replay('a glob reads the matching files, a directory its files but hidden ones', () => {
  const glob = drain(openAll(sources.csv(join(tradesDir, 't-*.csv'), { schema: tradeSchema, splitBytes: 1000 }), 2));
  assertSameMultiset(glob.map(asLine), allTrades, 'the glob');
  const letters: Letter[] = [];
  const all = drain(openAll(sources.csv(tradesDir, { header: false, columns: ['symbol', 'price', 'qty'], splitBytes: 700 }), 3, letters));
  assert.ok(!all.some((r) => r.symbol === 'HIDDEN'), 'no hidden file');
  assert.ok(all.some((r) => r.symbol === 'not'), 'other.txt is read too');
  assert.is(all.filter((r) => r.symbol === 'symbol').length, 3, 'without a header, the header lines are rows');
});

Replay('readers seeked to their offsets read on what a straight run reads after them, at the same and at another parallelism', () => {
  for (const [before, after] of [
    [2, 2],
    [2, 3],
    [3, 1],
  ] as const) {
    const source = sources.csv(join(tradesDir, 't-*.csv'), { schema: tradeSchema, splitBytes: 900 });
    const counter = { next: 0 };
    const readers = openAll(source, before, [], counter);
    const first: string[] = [];
    for (let round = 0; round < 5; round++) readers.forEach((r, s) => first.push(...readSome(r, 37 + s * 11).map(asLine)));
    // The checkpoint: every reader's offset and the split counter.
    const offsets = readers.map((r) => r.offset());
    assert.equal(JSON.parse(JSON.stringify(offsets)), offsets, 'offsets are plain JSON');
    const restoredCounter = { next: counter.next };
    const rest =
      before === after
        ? (() => {
            const again = openAll(source, after, [], restoredCounter);
            again.forEach((r, s) => r.seek(offsets[s]!));
            return drain(again);
          })()
        : // At another parallelism the offsets are dealt out as unfinished splits.
          drain(openAll(source, after, [], restoredCounter, Array.from({ length: after }, (_, s) => offsets.filter((_, i) => i % after === s))));
    assertSameMultiset([...first, ...rest.map(asLine)], allTrades, `${before} → ${after}`);
  }
});

Replay.run();

const Follow = suite('file sources: follow mode');

Follow('appended lines and new files are read after the poll interval of the job clock; a line waits for its newline', () => {
  const watched = join(dir, 'follow');
  mkdirSync(watched);
  writeFileSync(join(watched, 'a.csv'), 'symbol,price,qty\nA,1,1\n');
  const clock = new ManualClock(0);
  let wakeUps = 0;
  const [reader] = openAll(sources.csv(watched, { schema: tradeSchema, follow: { pollMs: 100 } }), 1, [], { next: 0 }, [], { clock, wakeUp: () => void wakeUps++ });
  const read = () => readSome(reader!, 100).map(asLine);
  assert.equal(read(), ['A,1,1']);
  assert.equal(read(), [], 'nothing new: the subtask parks');
  assert.is(clock.pending, 1, 'a poll timer set');
  appendFileSync(join(watched, 'a.csv'), 'A,2,2\nA,3');
  clock.advance(99);
  assert.is(wakeUps, 0);
  clock.advance(1);
  assert.is(wakeUps, 1, 'woken after pollMs');
  assert.equal(read(), ['A,2,2'], 'the line without its newline waits');
  appendFileSync(join(watched, 'a.csv'), ',3\n');
  writeFileSync(join(watched, 'b.csv'), 'symbol,price,qty\nB,1,1\n');
  writeFileSync(join(watched, 'c.csv'), 'symbol,pri'); // a header not complete yet
  assertSameMultiset([...read(), ...read()], ['A,3,3', 'B,1,1'], 'the rest of a.csv, and b.csv');
  // A checkpoint here, and a reader restored from it, reads only what comes after.
  const offset = reader!.offset();
  appendFileSync(join(watched, 'c.csv'), 'ce,qty\nC,1,1\n');
  appendFileSync(join(watched, 'b.csv'), 'B,2,2\n');
  assertSameMultiset([...read(), ...read()], ['B,2,2', 'C,1,1'], 'after the checkpoint');
  const [restored] = openAll(sources.csv(watched, { schema: tradeSchema, follow: true }), 1, [], { next: 0 }, [], { clock });
  restored!.seek(offset);
  assertSameMultiset([...readSome(restored!, 100), ...readSome(restored!, 100)].map(asLine), ['B,2,2', 'C,1,1'], 'restored');
  reader!.close?.();
  restored!.close?.();
  assert.is(clock.pending, 0, 'closing clears the poll timer');
});

Follow('files are dealt to subtasks by a hash of their path: each file read by one subtask', () => {
  const watched = join(dir, 'follow-many');
  mkdirSync(watched);
  for (let f = 0; f < 8; f++) writeFileSync(join(watched, `f${f}.jsonl`), `{"f":${f}}\n`);
  const readers = openAll(sources.jsonLines(watched, { follow: true }), 3, [], { next: 0 }, [], { clock: new ManualClock(0) });
  const records = readers.flatMap((r) => [...readSome(r, 100), ...readSome(r, 100)]);
  assertSameMultiset(records, Array.from({ length: 8 }, (_, f) => ({ f })), 'each file once');
  assert.is(sources.jsonLines(watched, { follow: true }).rescalable, false, 'follow mode restores at the same parallelism');
  for (const r of readers) r.close?.();
});

Follow.run();
