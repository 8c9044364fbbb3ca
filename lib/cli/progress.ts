import type { JobMetrics } from '../runtime/job-metrics.ts';

/** Formats counts the way a person reads them: 12.3M, 4.5k. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Formats a duration given in nanoseconds: 412 ns, 12.3 µs, 4.1 ms, 2.35 s. */
export function formatNanos(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/** Records read by the sources: the job's throughput. */
export const sourceRecords = (m: JobMetrics): number => m.operators.reduce((n, op) => (op.source ? n + op.recordsIn : n), 0);

/**
 * One status line: throughput, then per operator the records it took in and, where records wait,
 * its mailbox fill (a full mailbox marks the bottleneck) or its output backlog.
 */
export function progressLine(m: JobMetrics, recordsPerSec: number): string {
  const ops = m.operators
    .map((op) => {
      const waiting = op.queued > 0 ? ` mailbox ${op.queued}/${op.capacity}` : '';
      const paused = op.paused > 0 ? ' (paused: no credit)' : '';
      return `${op.name} ${formatCount(op.recordsIn)}${waiting}${paused}`;
    })
    .join(' │ ');
  const heap = m.workers.reduce((n, w) => n + w.heapUsedBytes, 0);
  const stuck = m.workers
    .filter((w) => w.stuck)
    .map((w) => `  │ worker ${w.worker} stuck in ${w.stuck!.operator} ${w.stuck!.subtask} for ${(w.stuck!.forMs / 1000).toFixed(1)}s`)
    .join('');
  const c = m.lastCheckpoint;
  const checkpoint = c ? `  │ checkpoint ${c.id} (${c.durationMs} ms, ${formatCount(c.bytes)} B)` : '';
  return `${(m.elapsedMs / 1000).toFixed(1)}s  ${formatCount(sourceRecords(m))} records  ${formatCount(recordsPerSec)}/s  │ ${ops}  │ heap ${mb(heap)}${checkpoint}${stuck}`;
}

/**
 * The summary printed when a job ends. `cpuNs` is the CPU time of the whole process (every thread,
 * start-up included); per record it is the figure `npm run bench` compares with a plain loop.
 */
export function summary(m: JobMetrics, cpuNs?: number): string {
  const seconds = m.elapsedMs / 1000;
  const total = sourceRecords(m);
  const rows = m.operators.map(
    (op) =>
      `  ${op.name.padEnd(40)} p=${String(op.parallelism).padEnd(3)} in ${formatCount(op.recordsIn).padStart(8)}  out ${formatCount(op.recordsOut).padStart(8)}` +
      (op.keys > 0 ? `  keys ${formatCount(op.keys)}` : '') +
      (op.pauses > 0 ? `  paused ${op.pauses}×` : ''),
  );
  const peak = m.workers.reduce((n, w) => Math.max(n, w.peakHeapBytes), 0);
  const cpu = cpuNs !== undefined && total > 0 ? `, ${formatNanos(cpuNs / total)} CPU/record` : '';
  return [
    `${m.job} ${m.status} in ${seconds.toFixed(2)}s: ${formatCount(total)} records, ${formatCount(total / Math.max(seconds, 1e-9))} records/s${cpu} on ${m.workers.length} worker thread${m.workers.length === 1 ? '' : 's'} (peak heap per worker ${mb(peak)})`,
    ...rows,
  ].join('\n');
}
