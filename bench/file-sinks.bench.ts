/**
 * The file sinks' cost: the bids of `npm run bench` written as JSON Lines and as CSV part files
 * through weir at parallelism 1 and 2 (a checkpoint every second, so parts are committed as the job
 * runs), against a hand-written single-thread loop that encodes the same records the same way and
 * appends them to one file with the same synchronous writes (512 records a write) and one fsync.
 * Same run, interleaved, medians; each run's output is checked (lines, bytes) against the loop's.
 *
 *   npm run build && tsc -p bench/tsconfig.json && node dist/bench/file-sinks.bench.js [--records 2000000 --rounds 3]
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from 'weir';
import { csvRow } from '../actors/sinks/csv-sink.ts';
import { wholeArg } from './args.ts';
import { bidAt, type Bid } from './bids.ts';
import type { FileSinkParams } from './file-sinks-job.ts';

const { values } = parseArgs({ options: { records: { type: 'string' }, rounds: { type: 'string' } } });
const RECORDS = wholeArg('file-sinks bench', 'records', values.records, 2_000_000, 1);
const ROUNDS = wholeArg('file-sinks bench', 'rounds', values.rounds, 3, 1);
const JOB = new URL('./file-sinks-job.js', import.meta.url);
const COLUMNS = ['auction', 'bidder', 'price', 'ts'] as const;

const encoders: Record<FileSinkParams['format'], (bid: Bid) => string> = {
  jsonLines: (bid) => `${JSON.stringify(bid)}\n`,
  csv: (bid) => csvRow(COLUMNS.map((c) => bid[c])),
};

interface Output {
  seconds: number;
  bytes: number;
  lines: number;
}

/** Committed files only: bytes, and lines without headers. */
function measure(dir: string, format: FileSinkParams['format']): { bytes: number; lines: number } {
  let bytes = 0;
  let lines = 0;
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.')) throw new Error(`left in progress: ${f}`);
    const text = readFileSync(join(dir, f), 'utf8');
    bytes += statSync(join(dir, f)).size;
    lines += text.split('\n').length - 1 - (format === 'csv' ? 1 : 0);
  }
  return { bytes, lines };
}

function runLoop(format: FileSinkParams['format']): Output {
  const dir = mkdtempSync(join(tmpdir(), 'weir-file-loop-'));
  const encode = encoders[format];
  const t0 = performance.now();
  const fd = openSync(join(dir, 'out'), 'wx');
  let chunk = format === 'csv' ? csvRow([...COLUMNS]) : '';
  let bytes = 0;
  for (let i = 0; i < RECORDS; i++) {
    chunk += encode(bidAt(i));
    if (i % 512 === 511) {
      bytes += writeSync(fd, chunk);
      chunk = '';
    }
  }
  bytes += writeSync(fd, chunk);
  fsyncSync(fd);
  closeSync(fd);
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { seconds, bytes, lines: RECORDS };
}

async function runWeir(runtime: Runtime, format: FileSinkParams['format'], parallelism: number): Promise<Output> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-file-sink-'));
  const params: FileSinkParams = { count: RECORDS, dir, format };
  const t0 = performance.now();
  const handle = await runtime.run(JOB, { params, parallelism, checkpointIntervalMs: 1000 });
  await handle.done;
  const seconds = (performance.now() - t0) / 1000;
  const { bytes, lines } = measure(dir, format);
  rmSync(dir, { recursive: true, force: true });
  if (lines !== RECORDS) throw new Error(`${format} p${parallelism}: ${lines} lines committed, expected ${RECORDS}`);
  return { seconds, bytes, lines };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runtime = new Runtime({ workers: 2 });
const figures: Record<string, Record<string, number>> = {};
for (const format of ['jsonLines', 'csv'] as const) {
  await runWeir(runtime, format, 2); // warm-up: V8 compiles the job on the runtime's threads
  const rounds: Record<string, Output[]> = { loop: [], p1: [], p2: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.loop!.push(runLoop(format));
    rounds.p1!.push(await runWeir(runtime, format, 1));
    rounds.p2!.push(await runWeir(runtime, format, 2));
  }
  const loopRate = RECORDS / median(rounds.loop!.map((o) => o.seconds));
  for (const [name, outputs] of Object.entries(rounds)) {
    const seconds = median(outputs.map((o) => o.seconds));
    figures[`${format}.${name}`] = {
      recordsPerSec: Math.round(RECORDS / seconds),
      mbPerSec: Math.round((outputs[0]!.bytes / seconds / 1e6) * 10) / 10,
      throughputRatio: Math.round((RECORDS / seconds / loopRate) * 100) / 100,
    };
  }
}
await runtime.close();
console.log(JSON.stringify({ records: RECORDS, rounds: ROUNDS, figures }));
