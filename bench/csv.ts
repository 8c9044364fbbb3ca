/**
 * The CSV case of `npm run bench`: a generated trades file of `megabytes` MB under the OS's temp
 * directory (kept between runs: regenerated only when missing or of another size) parsed and
 * totalled per symbol by the hand-written loop and by weir at parallelism 1 and 2, in the same run,
 * interleaved, `rounds` times; medians. Each job runs on a fresh `Runtime`, so the peak heap of its
 * workers is the job's own: far below the file's size, as the source reads it a chunk at a time.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, type JobOptions } from 'weir';
import { loop, writeTrades, type SymbolTotal } from './csv-trades.ts';

export interface CsvFigures {
  megabytes: number;
  records: number;
  loop: { recordsPerSec: number };
  p1: { recordsPerSec: number; throughputRatio: number; peakHeapMBPerWorker: number };
  p2: { recordsPerSec: number; throughputRatio: number; peakHeapMBPerWorker: number };
}

const JOB = new URL('./csv-trades.js', import.meta.url);

/** The trades file of `megabytes` MB, written unless a previous run left it. */
async function tradesFile(megabytes: number): Promise<{ path: string; records: number }> {
  const path = join(tmpdir(), `weir-bench-trades-${megabytes}MB.csv`);
  const meta = `${path}.records`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size >= megabytes * 1e6) return { path, records: Number(readFileSync(meta, 'utf8')) };
  const records = await writeTrades(path, megabytes * 1e6);
  writeFileSync(meta, String(records));
  return { path, records };
}

/** Counts and quantities must match exactly; notionals to the last bits (additions in another order). */
function check(name: string, expected: Map<string, SymbolTotal>, actual: SymbolTotal[]): void {
  if (actual.length !== expected.size) throw new Error(`csv ${name}: ${actual.length} symbols, the loop has ${expected.size}`);
  for (const a of actual) {
    const e = expected.get(a.symbol);
    if (!e || e.count !== a.count || e.qty !== a.qty || Math.abs(e.notional - a.notional) > 1e-9 * Math.abs(e.notional)) {
      throw new Error(`csv ${name}: ${a.symbol} has ${JSON.stringify(a)}, the loop has ${JSON.stringify(e)}`);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One weir run on a fresh runtime of `options.workers` threads: records/s and the largest peak heap of its workers. */
async function runWeir(path: string, records: number, options: JobOptions): Promise<{ recordsPerSec: number; peakHeap: number; totals: SymbolTotal[] }> {
  const runtime = new Runtime({ workers: options.workers! });
  try {
    const t0 = performance.now();
    const handle = await runtime.run(JOB, { ...options, params: { path } });
    const totals = await handle.collected<SymbolTotal>('totals');
    const result = await handle.done;
    const seconds = (performance.now() - t0) / 1000;
    return { recordsPerSec: records / seconds, peakHeap: Math.max(...result.metrics.workers.map((w) => w.peakHeapBytes)), totals };
  } finally {
    await runtime.close();
  }
}

export async function csvFigures(megabytes: number, rounds: number, log: (line: string) => void): Promise<CsvFigures> {
  const t0 = performance.now();
  const { path, records } = await tradesFile(megabytes);
  log(`csv: ${megabytes} MB, ${(records / 1e6).toFixed(1)}M trades at ${path} (${((performance.now() - t0) / 1000).toFixed(1)} s to have it), ${rounds} round(s): the loop, weir p1 and p2; then p4 once, for its totals`);
  const runs: Record<'loop' | 'p1' | 'p2', number[]> = { loop: [], p1: [], p2: [] };
  const heaps: Record<'p1' | 'p2', number[]> = { p1: [], p2: [] };
  for (let round = 1; round <= rounds; round++) {
    const l0 = performance.now();
    const baseline = loop(path);
    if (baseline.records !== records) throw new Error(`csv loop: ${baseline.records} trades, the file has ${records}`);
    runs.loop.push(records / ((performance.now() - l0) / 1000));
    const line = [`loop ${(runs.loop.at(-1)! / 1e6).toFixed(2)}M rec/s`];
    for (const [name, options] of [
      ['p1', { parallelism: 1, workers: 1 }],
      ['p2', { parallelism: 2, workers: 2 }],
    ] as const) {
      const result = await runWeir(path, records, options);
      check(name, baseline.totals, result.totals);
      runs[name].push(result.recordsPerSec);
      heaps[name].push(result.peakHeap);
      line.push(`${name} ${(result.recordsPerSec / 1e6).toFixed(2)}M rec/s, peak heap ${(result.peakHeap / 1e6).toFixed(0)} MB a worker`);
    }
    log(`  round ${round}: ${line.join(' │ ')}`);
  }
  // The same totals at parallelism 4 (more subtasks than threads), once: a check, not a figure.
  const p4 = await runWeir(path, records, { parallelism: 4, workers: 2 });
  check('p4', loop(path).totals, p4.totals);
  log(`  p4: the same totals as the loop, peak heap ${(p4.peakHeap / 1e6).toFixed(0)} MB a worker`);
  const loopRate = median(runs.loop);
  // Three decimals: at the bar, 0.799 must not print as 0.8.
  const ratio = (x: number) => Math.round((x / loopRate) * 1000) / 1000;
  const figures = (name: 'p1' | 'p2') => ({
    recordsPerSec: Math.round(median(runs[name])),
    throughputRatio: ratio(median(runs[name])),
    peakHeapMBPerWorker: Math.round(Math.max(...heaps[name]) / 1e6),
  });
  return { megabytes, records, loop: { recordsPerSec: Math.round(loopRate) }, p1: figures('p1'), p2: figures('p2') };
}
