/**
 * npm run bench: the bid workload through weir at parallelism 1 and 2 and through a hand-written
 * single-thread loop over the same generator, in the same run, interleaved and repeated; medians.
 *
 * CPU is process-wide (`process.cpuUsage()` counts every thread), so "CPU ns per record" is what the
 * whole job costs, worker start-up and module loading included. `steady` leaves out start-up: CPU
 * from the 'running' event to the end.
 *
 *   npm run bench                       # 10M records, 5 rounds
 *   npm run bench -- --records 2000000 --rounds 5
 */
import { parseArgs } from 'node:util';
import { run } from 'weir';
import { loop, type AuctionTotal } from './bids.ts';

interface Figures {
  recordsPerSec: number;
  cpuNsPerRecord: number;
  steadyCpuNsPerRecord: number;
}

const { values } = parseArgs({ options: { records: { type: 'string' }, rounds: { type: 'string' } } });
const wholeArg = (name: string, value: string | undefined, fallback: number, min: number): number => {
  const n = Number(value ?? fallback);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`bench: --${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
};
const RECORDS = wholeArg('records', values.records, 10_000_000, 1);
const ROUNDS = wholeArg('rounds', values.rounds, 5, 1);
const JOB = new URL('./bids.js', import.meta.url);

const cpuNs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) * 1000;
};

function runLoop(): { figures: Figures; totals: Map<number, { count: number; sum: number }> } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const totals = loop(RECORDS);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNs(c0) / RECORDS;
  return { figures: { recordsPerSec: RECORDS / seconds, cpuNsPerRecord: cpu, steadyCpuNsPerRecord: cpu }, totals };
}

async function runWeir(parallelism: number): Promise<{ figures: Figures; totals: AuctionTotal[] }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const handle = await run(JOB, { parallelism, workers: parallelism, params: { count: RECORDS } });
  const running = process.cpuUsage();
  const totals = await handle.collected<AuctionTotal>('totals');
  await handle.done;
  const seconds = (performance.now() - t0) / 1000;
  return {
    figures: {
      recordsPerSec: RECORDS / seconds,
      cpuNsPerRecord: cpuNs(c0) / RECORDS,
      steadyCpuNsPerRecord: cpuNs(running) / RECORDS,
    },
    totals,
  };
}

/** Counts must match exactly; sums may differ in the last bits when parallel inputs interleave. */
function check(name: string, expected: Map<number, { count: number; sum: number }>, actual: AuctionTotal[]): void {
  if (actual.length !== expected.size) throw new Error(`${name}: ${actual.length} auctions, the loop has ${expected.size}`);
  for (const { auction, count, sum } of actual) {
    const e = expected.get(auction);
    if (!e || e.count !== count || Math.abs(e.sum - sum) > 1e-9 * Math.abs(e.sum)) {
      throw new Error(`${name}: auction ${auction} has count ${count} sum ${sum}, the loop has ${JSON.stringify(e)}`);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianOf = (runs: Figures[]): Figures => ({
  recordsPerSec: median(runs.map((r) => r.recordsPerSec)),
  cpuNsPerRecord: median(runs.map((r) => r.cpuNsPerRecord)),
  steadyCpuNsPerRecord: median(runs.map((r) => r.steadyCpuNsPerRecord)),
});

const rounds: { loop: Figures[]; p1: Figures[]; p2: Figures[] } = { loop: [], p1: [], p2: [] };
console.log(`bids: ${(RECORDS / 1e6).toFixed(1)}M records, ${ROUNDS} rounds (loop, weir p1, weir p2 interleaved)`);
for (let round = 1; round <= ROUNDS; round++) {
  const baseline = runLoop();
  const p1 = await runWeir(1);
  check('weir p1', baseline.totals, p1.totals);
  const p2 = await runWeir(2);
  check('weir p2', baseline.totals, p2.totals);
  rounds.loop.push(baseline.figures);
  rounds.p1.push(p1.figures);
  rounds.p2.push(p2.figures);
  const show = (f: Figures) => `${(f.recordsPerSec / 1e6).toFixed(2)}M rec/s ${f.cpuNsPerRecord.toFixed(0)} cpu ns/rec`;
  console.log(`  round ${round}: loop ${show(baseline.figures)} │ p1 ${show(p1.figures)} │ p2 ${show(p2.figures)}`);
}

const loopM = medianOf(rounds.loop);
const p1M = medianOf(rounds.p1);
const p2M = medianOf(rounds.p2);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const row = (name: string, f: Figures, extra: string) =>
  `${name.padEnd(6)} ${(f.recordsPerSec / 1e6).toFixed(2).padStart(6)}M records/s  ${f.cpuNsPerRecord.toFixed(1).padStart(6)} CPU ns/record (steady ${f.steadyCpuNsPerRecord.toFixed(1)})  ${extra}`;
console.log('\nmedians (all three produced the same totals per auction):');
console.log(row('loop', loopM, ''));
console.log(row('p1', p1M, `CPU ratio to loop ${ratio(p1M.cpuNsPerRecord, loopM.cpuNsPerRecord)} (bar: ≤ 2)`));
console.log(row('p2', p2M, `throughput ratio to loop ${ratio(p2M.recordsPerSec, loopM.recordsPerSec)} (bar: ≥ 0.7)`));

const round1 = (x: number) => Math.round(x * 10) / 10;
const json = (f: Figures) => ({
  recordsPerSec: Math.round(f.recordsPerSec),
  cpuNsPerRecord: round1(f.cpuNsPerRecord),
  steadyCpuNsPerRecord: round1(f.steadyCpuNsPerRecord),
});
console.log(
  JSON.stringify({
    records: RECORDS,
    rounds: ROUNDS,
    loop: json(loopM),
    p1: {
      ...json(p1M),
      cpuRatio: ratio(p1M.cpuNsPerRecord, loopM.cpuNsPerRecord),
      steadyCpuRatio: ratio(p1M.steadyCpuNsPerRecord, loopM.cpuNsPerRecord),
      throughputRatio: ratio(p1M.recordsPerSec, loopM.recordsPerSec),
    },
    p2: {
      ...json(p2M),
      cpuRatio: ratio(p2M.cpuNsPerRecord, loopM.cpuNsPerRecord),
      throughputRatio: ratio(p2M.recordsPerSec, loopM.recordsPerSec),
    },
  }),
);
