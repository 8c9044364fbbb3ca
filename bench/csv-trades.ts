/**
 * The CSV workload of `npm run bench`: a generated file of trades `symbol,price,qty,ts`, totalled
 * per symbol (count, quantity, notional). The job reads it through `sources.csv`; the baseline is a
 * hand-written single-thread loop that reads the same file in chunks and parses it the way the source
 * does: a line without quotes split at its commas, one with quotes by papaparse (this file has none).
 */
import { closeSync, openSync, readSync, statSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import Papa from 'papaparse';
import { job, sinks, sources, state, type KeyedOperatorContext, type ValueState } from 'weir';

export interface SymbolTotal {
  symbol: string;
  count: number;
  qty: number;
  notional: number;
}

export const SYMBOLS = 2000;
/** Bytes the loop reads at a time, as the source does. */
const CHUNK = 1 << 16;
const schema = { symbol: 'string', price: 'number', qty: 'integer', ts: 'integer' } as const;

/** Writes trades to `path` until it holds at least `bytes`; returns the number of trades. */
export async function writeTrades(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('symbol,price,qty,ts\n');
  let written = 20;
  let trades = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++, trades++) {
      const h = Math.imul(trades ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
      lines.push(`SYM${h % SYMBOLS},${(1 + ((h >>> 11) % 100_000) / 100).toFixed(2)},${1 + (h % 500)},${1_700_000_000_000 + trades}`);
    }
    const text = lines.join('\n') + '\n';
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return trades;
}

/**
 * The baseline: one thread reads the file in chunks, cuts each at its last newline, splits the lines,
 * parses each (papaparse if it has a quote), converts the fields as the schema does, and totals in a Map.
 */
export function loop(path: string): { totals: Map<string, SymbolTotal>; records: number } {
  const totals = new Map<string, SymbolTotal>();
  const fd = openSync(path, 'r');
  const size = statSync(path).size;
  let buffer = Buffer.allocUnsafe(CHUNK);
  let at = 0;
  let carried = 0;
  let records = 0;
  let header = true;
  try {
    while (at < size || carried > 0) {
      const read = readSync(fd, buffer, carried, buffer.length - carried, at);
      at += read;
      const length = carried + read;
      const cut = read === 0 ? length : buffer.lastIndexOf(10, length - 1) + 1;
      if (cut === 0) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
        carried = length;
        continue;
      }
      const lines = buffer.toString('utf8', 0, cut).split('\n');
      for (let i = header ? 1 : 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line.length === 0) continue; // after the block's last newline
        const fields = line.indexOf('"') < 0 ? line.split(',') : Papa.parse<string[]>(line, { delimiter: ',', newline: '\n' }).data[0]!;
        if (fields.length !== 4) throw new Error(`bad trade ${line}`);
        const price = Number(fields[1]);
        const qty = Number(fields[2]);
        const ts = Number(fields[3]);
        if (price !== price || !Number.isSafeInteger(qty) || !Number.isSafeInteger(ts)) throw new Error(`bad trade ${fields.join(',')}`);
        const symbol = fields[0]!;
        records++;
        const t = totals.get(symbol);
        if (t === undefined) totals.set(symbol, { symbol, count: 1, qty, notional: price * qty });
        else {
          t.count++;
          t.qty += qty;
          t.notional += price * qty;
        }
      }
      header = false;
      buffer.copy(buffer, 0, cut, length);
      carried = length - cut;
    }
  } finally {
    closeSync(fd);
  }
  return { totals, records };
}

export interface CsvParams {
  path: string;
}

/** The same computation as a weir job: csv → keyBy(symbol) → a keyed total emitted at the end → collect. */
export default job('csv-trades', (env, params: CsvParams) => {
  env
    .from(sources.csv(params.path, { schema }))
    .name('trades')
    .keyBy((t) => t.symbol)
    .transform<SymbolTotal>('totals', () => {
      let ctx: KeyedOperatorContext<string>;
      let totals: ValueState<SymbolTotal | undefined>;
      return {
        open(context) {
          ctx = context;
          totals = ctx.keyedState('totals', state.value<SymbolTotal>());
        },
        process(t) {
          const total = totals.value();
          if (total === undefined) totals.update({ symbol: t.symbol, count: 1, qty: t.qty, notional: t.price * t.qty });
          else {
            total.count++;
            total.qty += t.qty;
            total.notional += t.price * t.qty;
          }
        },
        close(out) {
          for (const _ of ctx.keys()) out.collect(totals.value()!);
        },
      };
    })
    .to(sinks.collect('totals'));
});
