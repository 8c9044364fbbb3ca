/**
 * npm run bench: the bid workload through weir at parallelism 1 and 2 and through a hand-written
 * single-thread loop over the same generator, in the same run, interleaved and repeated; medians.
 * Two cases: keyed (count and sum per auction, `bids.ts`) and windowed (the same per auction and
 * 10-second event-time window, `windowed-bids.ts`), each against its own loop.
 *
 * weir's jobs run on one `Runtime`, as a daemon runs its jobs: the threads start once and keep
 * what V8 compiled. One-off `run()` calls, which start and end threads of their own, are measured
 * too (the "cold" figures), and so is parallelism 1 with chaining off, where the keyBy is a real
 * hand-over between two actors instead of a function call.
 *
 * CPU is process-wide (`process.cpuUsage()` counts every thread), so "CPU ns per record" is what the
 * whole job costs, deployment included. `steady` leaves out start-up: CPU from the 'running' event
 * to the end.
 *
 * A warm-up round runs first and is not counted (as JMH's warm-up iterations): the first job of each
 * kind on the runtime's threads, and the loop's first call, include V8 compiling them.
 *
 * Last comes the CSV case (`csv.ts`): a generated file of `--csv-megabytes` MB parsed and totalled
 * per symbol by weir at parallelism 1 and 2 against a hand-written loop over the same file, on
 * runtimes of its own, `--csv-rounds` rounds; `csv.p1.throughputRatio` and `csv.p2.throughputRatio`.
 *
 * Each counted round also runs the keyed and the windowed job at parallelism 2 with a checkpoint
 * every second and without, over `--checkpoint-records` bids (long enough for several checkpoints),
 * and after the rounds a 2-worker job holding 1M keys is failed and recovered (`checkpoints.ts`).
 *
 *   npm run bench                       # 10M records, 1 warm-up round, 5 rounds, 60M with checkpoints
 *   npm run bench -- --records 2000000 --rounds 5 --warmup 0 --checkpoint-records 10000000 --csv-megabytes 200 --csv-rounds 1
 */
import { parseArgs } from 'node:util';
import { run, Runtime, type JobOptions } from 'weir';
import { wholeArg } from './args.ts';
import { loop, type AuctionTotal } from './bids.ts';
import { twoThreadLoop } from './two-thread-loop.ts';
import { windowLoop, type WindowTotal } from './windowed-bids.ts';
import { csvFigures } from './csv.ts';
import { checkpointFigures, checkpointPair, recoveryFigures, recoveryRun, type CheckpointPair, type Recovery } from './checkpoints.ts';

interface Figures {
  recordsPerSec: number;
  cpuNsPerRecord: number;
  steadyCpuNsPerRecord: number;
}

const { values } = parseArgs({
  options: {
    records: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    'checkpoint-records': { type: 'string' },
    'csv-megabytes': { type: 'string' },
    'csv-rounds': { type: 'string' },
  },
});
const RECORDS = wholeArg('bench', 'records', values.records, 10_000_000, 1);
const ROUNDS = wholeArg('bench', 'rounds', values.rounds, 5, 1);
const WARMUP = wholeArg('bench', 'warmup', values.warmup, 1, 0);
const CHECKPOINT_RECORDS = wholeArg('bench', 'checkpoint-records', values['checkpoint-records'], 60_000_000, 1);
const CSV_MEGABYTES = wholeArg('bench', 'csv-megabytes', values['csv-megabytes'], 200, 1);
const CSV_ROUNDS = wholeArg('bench', 'csv-rounds', values['csv-rounds'], 1, 1);
const JOB = new URL('./bids.js', import.meta.url);
const WINDOW_JOB = new URL('./windowed-bids.js', import.meta.url);

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

type Start = (options: JobOptions<{ count: number }>) => ReturnType<typeof run>;

async function runWeir<R = AuctionTotal>(start: Start, options: JobOptions): Promise<{ figures: Figures; totals: R[] }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const handle = await start({ ...options, params: { count: RECORDS } });
  const running = process.cpuUsage();
  const totals = await handle.collected<R>('totals');
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

function runWindowLoop(): { figures: Figures; totals: WindowTotal[] } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { totals, late } = windowLoop(RECORDS);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNs(c0) / RECORDS;
  if (late !== 0) throw new Error(`the window loop dropped ${late} late bids: the disorder must stay within the watermark's bound`);
  return { figures: { recordsPerSec: RECORDS / seconds, cpuNsPerRecord: cpu, steadyCpuNsPerRecord: cpu }, totals };
}

/** The windowed job against its loop: the same (auction, window) totals, each once; sums to the last bits. */
function checkWindows(name: string, expected: readonly WindowTotal[], actual: readonly WindowTotal[]): void {
  if (actual.length !== expected.length) throw new Error(`${name}: ${actual.length} window totals, the loop has ${expected.length}`);
  const byWindow = new Map<number, Map<number, WindowTotal>>();
  for (const e of expected) {
    let auctions = byWindow.get(e.start);
    if (auctions === undefined) byWindow.set(e.start, (auctions = new Map()));
    auctions.set(e.auction, e);
  }
  for (const a of actual) {
    const e = byWindow.get(a.start)?.get(a.auction);
    if (!e || e.count !== a.count || Math.abs(e.sum - a.sum) > 1e-9 * Math.abs(e.sum)) {
      throw new Error(`${name}: auction ${a.auction} in the window from ${a.start} has count ${a.count} sum ${a.sum}, the loop has ${JSON.stringify(e)}`);
    }
    byWindow.get(a.start)!.delete(a.auction);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianOf = (runs: Figures[]): Figures => ({
  recordsPerSec: median(runs.map((r) => r.recordsPerSec)),
  cpuNsPerRecord: median(runs.map((r) => r.cpuNsPerRecord)),
  steadyCpuNsPerRecord: median(runs.map((r) => r.steadyCpuNsPerRecord)),
});

const P1: JobOptions = { parallelism: 1, workers: 1 };
const P2: JobOptions = { parallelism: 2, workers: 2 };
const P1_UNCHAINED: JobOptions = { ...P1, chaining: false };
/**
 * The windowed jobs send watermarks every 20 ms instead of the default 200. The bids' event time
 * runs about 2,000 times faster than the clock (1 ms a bid, millions of bids a second), so 200 ms
 * between watermarks would hold some 40 ten-second windows open per auction, where a job on live
 * data holds a fiftieth of one; 20 ms still holds several, as the loop, which moves its watermark at
 * every bid, never does.
 */
const WINDOW_WATERMARK_MS = 20;
const W1: JobOptions = { ...P1, watermarkIntervalMs: WINDOW_WATERMARK_MS };
const W2: JobOptions = { ...P2, watermarkIntervalMs: WINDOW_WATERMARK_MS };

const runtime = new Runtime({ workers: 2 });
const onRuntime: Start = (options) => runtime.run(JOB, options);
const oneOff: Start = (options) => run(JOB, options);
const windowedOnRuntime: Start = (options) => runtime.run(WINDOW_JOB, options);

const rounds: Record<'loop' | 'p1' | 'p2' | 'p1Unchained', Figures[]> = { loop: [], p1: [], p2: [], p1Unchained: [] };
const windowRounds: Record<'loop' | 'p1' | 'p2', Figures[]> = { loop: [], p1: [], p2: [] };
const twoThreadRatios: number[] = [];
const checkpointRounds: Record<'keyed' | 'window', CheckpointPair[]> = { keyed: [], window: [] };
const show = (f: Figures) => `${(f.recordsPerSec / 1e6).toFixed(2)}M rec/s ${f.cpuNsPerRecord.toFixed(0)} cpu ns/rec`;
console.log(
  `bids: ${(RECORDS / 1e6).toFixed(1)}M records, ${WARMUP} warm-up and ${ROUNDS} counted rounds (the loop on 1 and 2 threads, weir p1, p2 and p1 unchained, then the windowed loop, weir p1 and p2, interleaved, on one Runtime)`,
);
for (let round = 1 - WARMUP; round <= ROUNDS; round++) {
  if (round < 1) {
    // Warm-up: the same work, checked, not counted.
    const baseline = runLoop();
    await twoThreadLoop(RECORDS);
    for (const options of [P1, P2, P1_UNCHAINED]) check('weir warm-up', baseline.totals, (await runWeir(onRuntime, options)).totals);
    const windowBaseline = runWindowLoop();
    for (const options of [W1, W2]) checkWindows('weir windowed warm-up', windowBaseline.totals, (await runWeir<WindowTotal>(windowedOnRuntime, options)).totals);
    console.log(`  warm-up round done`);
    continue;
  }
  const baseline = runLoop();
  rounds.loop.push(baseline.figures);
  const line = [`loop ${show(baseline.figures)}`];
  const twoThreads = await twoThreadLoop(RECORDS);
  twoThreadRatios.push(twoThreads / baseline.figures.recordsPerSec);
  line.push(`loop on 2 threads ${(twoThreads / 1e6).toFixed(2)}M rec/s`);
  for (const [name, options] of [['p1', P1], ['p2', P2], ['p1Unchained', P1_UNCHAINED]] as const) {
    const result = await runWeir(onRuntime, options);
    check(`weir ${name}`, baseline.totals, result.totals);
    rounds[name].push(result.figures);
    line.push(`${name} ${show(result.figures)}`);
  }
  console.log(`  round ${round}: ${line.join(' │ ')}`);
  const windowBaseline = runWindowLoop();
  windowRounds.loop.push(windowBaseline.figures);
  const windowLine = [`window loop ${show(windowBaseline.figures)}`];
  for (const [name, options] of [['p1', W1], ['p2', W2]] as const) {
    const result = await runWeir<WindowTotal>(windowedOnRuntime, options);
    checkWindows(`weir windowed ${name}`, windowBaseline.totals, result.totals);
    windowRounds[name].push(result.figures);
    windowLine.push(`window ${name} ${show(result.figures)}`);
  }
  console.log(`           ${windowLine.join(' │ ')}`);
  const keyedPair = await checkpointPair(runtime, 'keyed p2', JOB, P2, CHECKPOINT_RECORDS, round % 2 === 0);
  const windowPair = await checkpointPair(runtime, 'window p2', WINDOW_JOB, W2, CHECKPOINT_RECORDS, round % 2 === 0);
  checkpointRounds.keyed.push(keyedPair);
  checkpointRounds.window.push(windowPair);
  const pair = (p: CheckpointPair) => `${(p.checkpointed / p.plain).toFixed(3)}× (${p.checkpoints} checkpoints, longest ${p.maxCheckpointMs.toFixed(0)} ms)`;
  console.log(`           p2 with a checkpoint every second, records/s against without: keyed ${pair(keyedPair)} │ window ${pair(windowPair)}`);
}
await runtime.close();

// Recovery: its own runtime, as a thread ended on purpose is replaced by a fresh one.
const recoveryRuntime = new Runtime({ workers: 2 });
const recoveries: Record<'exit' | 'throw', Recovery[]> = { exit: [], throw: [] };
for (let round = 1; round <= ROUNDS; round++) for (const how of ['exit', 'throw'] as const) recoveries[how].push(await recoveryRun(recoveryRuntime, 1_000_000, how));
await recoveryRuntime.close();

// One-off run() calls: each starts two fresh threads, imports the job and compiles it there again.
const coldLoop = runLoop();
const cold = { p1: await runWeir(oneOff, P1), p2: await runWeir(oneOff, P2) };
check('weir p1 (run)', coldLoop.totals, cold.p1.totals);
check('weir p2 (run)', coldLoop.totals, cold.p2.totals);

// The CSV case last, on runtimes of its own: a job's peak heap is then its own.
const csv = await csvFigures(CSV_MEGABYTES, CSV_ROUNDS, console.log);

const loopM = medianOf(rounds.loop);
const p1M = medianOf(rounds.p1);
const p2M = medianOf(rounds.p2);
const p1U = medianOf(rounds.p1Unchained);
// Three decimals: at the bar, 0.699 must not print as 0.7.
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
const row = (name: string, f: Figures, extra: string) =>
  `${name.padEnd(14)} ${(f.recordsPerSec / 1e6).toFixed(2).padStart(6)}M records/s  ${f.cpuNsPerRecord.toFixed(1).padStart(6)} CPU ns/record (steady ${f.steadyCpuNsPerRecord.toFixed(1)})  ${extra}`;
console.log('\nmedians (every run produced the same totals per auction, or per auction and window, as its loop):');
console.log(row('loop', loopM, ''));
console.log(row('p1', p1M, `CPU ratio to loop ${ratio(p1M.cpuNsPerRecord, loopM.cpuNsPerRecord)} (bar: ≤ 2)`));
console.log(row('p2', p2M, `throughput ratio to loop ${ratio(p2M.recordsPerSec, loopM.recordsPerSec)} (bar: ≥ 0.7)`));
console.log(`loop on 2 threads, each over half the bids, no exchange: ${median(twoThreadRatios).toFixed(2)}× the loop's records/s (this machine's two-thread ceiling)`);
console.log(row('p1 unchained', p1U, `CPU ratio to loop ${ratio(p1U.cpuNsPerRecord, loopM.cpuNsPerRecord)} (keyBy as a hand-over between actors)`));
const wLoop = medianOf(windowRounds.loop);
const wP1 = medianOf(windowRounds.p1);
const wP2 = medianOf(windowRounds.p2);
console.log(`windowed (10-second tumbling event-time windows per auction, watermarks every ${WINDOW_WATERMARK_MS} ms), against its own loop:`);
console.log(row('window loop', wLoop, ''));
console.log(row('window p1', wP1, `CPU ratio to loop ${ratio(wP1.cpuNsPerRecord, wLoop.cpuNsPerRecord)} (bar: ≤ 2)`));
console.log(row('window p2', wP2, `throughput ratio to loop ${ratio(wP2.recordsPerSec, wLoop.recordsPerSec)} (bar: ≥ 0.7)`));
const ckKeyed = checkpointFigures(checkpointRounds.keyed);
const ckWindow = checkpointFigures(checkpointRounds.window);
const ckRow = (name: string, f: ReturnType<typeof checkpointFigures>) =>
  `${name.padEnd(14)} ${(f.checkpointedRecordsPerSec / 1e6).toFixed(2).padStart(6)}M records/s with, ${(f.plainRecordsPerSec / 1e6).toFixed(2)}M without: ratio ${f.ratio} (bar: ≥ 0.9; ${f.checkpoints} checkpoints a run, longest ${f.maxCheckpointMs.toFixed(0)} ms, ${(f.maxBytes / 1e6).toFixed(1)} MB)`;
console.log(`p2 with a checkpoint every second against without, ${(CHECKPOINT_RECORDS / 1e6).toFixed(1)}M records, median of the rounds' ratios:`);
console.log(ckRow('keyed p2', ckKeyed));
console.log(ckRow('window p2', ckWindow));
const recExit = recoveryFigures(recoveries.exit);
const recThrow = recoveryFigures(recoveries.throw);
const ms1MKeys = Math.round(Math.max(recExit.recoveryMs, recThrow.recoveryMs));
const recRow = (name: string, r: ReturnType<typeof recoveryFigures>) =>
  `${name.padEnd(14)} ${r.recoveryMs.toFixed(0).padStart(6)} ms failure to running again (${r.askedToRecoveredMs} ms from the bench's signal; checkpoint of ${(r.checkpointBytes / 1e6).toFixed(1)} MB took ${r.checkpointMs.toFixed(0)} ms)`;
console.log(`recovery of a 2-worker job holding 1M keys from its checkpoint, median of ${ROUNDS} (bar: ≤ 1000 ms):`);
console.log(recRow('thread ended', recExit));
console.log(recRow('throwing', recThrow));
console.log('one-off run() with fresh threads, against a loop run just before:');
console.log(row('loop', coldLoop.figures, ''));
console.log(row('p1 (run)', cold.p1.figures, `CPU ratio to loop ${ratio(cold.p1.figures.cpuNsPerRecord, coldLoop.figures.cpuNsPerRecord)}`));
console.log(row('p2 (run)', cold.p2.figures, `throughput ratio to loop ${ratio(cold.p2.figures.recordsPerSec, coldLoop.figures.recordsPerSec)}`));
console.log(`csv, ${csv.megabytes} MB (${(csv.records / 1e6).toFixed(1)}M trades) parsed and totalled per symbol, median of ${CSV_ROUNDS}:`);
console.log(`csv loop       ${(csv.loop.recordsPerSec / 1e6).toFixed(2).padStart(6)}M records/s`);
for (const name of ['p1', 'p2'] as const) {
  const f = csv[name];
  console.log(`csv ${name}         ${(f.recordsPerSec / 1e6).toFixed(2).padStart(6)}M records/s  throughput ratio to loop ${f.throughputRatio} (bar: ${name === 'p1' ? '≥ 0.8' : '> 1'}), peak heap ${f.peakHeapMBPerWorker} MB a worker`);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const json = (f: Figures) => ({
  recordsPerSec: Math.round(f.recordsPerSec),
  cpuNsPerRecord: round1(f.cpuNsPerRecord),
  steadyCpuNsPerRecord: round1(f.steadyCpuNsPerRecord),
});
const against = (f: Figures, base: Figures) => ({
  ...json(f),
  cpuRatio: ratio(f.cpuNsPerRecord, base.cpuNsPerRecord),
  steadyCpuRatio: ratio(f.steadyCpuNsPerRecord, base.cpuNsPerRecord),
  throughputRatio: ratio(f.recordsPerSec, base.recordsPerSec),
});
console.log(
  JSON.stringify({
    records: RECORDS,
    rounds: ROUNDS,
    warmup: WARMUP,
    loop: json(loopM),
    p1: against(p1M, loopM),
    p2: against(p2M, loopM),
    p1Unchained: against(p1U, loopM),
    twoThreadLoopRatio: Math.round(median(twoThreadRatios) * 100) / 100,
    cold: { loop: json(coldLoop.figures), p1: against(cold.p1.figures, coldLoop.figures), p2: against(cold.p2.figures, coldLoop.figures) },
    window: { loop: json(wLoop), p1: against(wP1, wLoop), p2: against(wP2, wLoop) },
    checkpoints: { records: CHECKPOINT_RECORDS, keyed: ckKeyed, window: ckWindow },
    recovery: { ms1MKeys, threadEnded: recExit, throwing: recThrow },
    csv,
  }),
);
