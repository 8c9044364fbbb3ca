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

const two = (n: number) => String(n).padStart(2, '0');

/** A time of day in UTC, to the tenth of a second: `09:31:12.4`. */
export function formatTimeOfDay(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const day = ((tenths % 864_000) + 864_000) % 864_000;
  const seconds = Math.floor(day / 10);
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${day % 10}`;
}

/** A lag: `180 ms`, `2.4 s`, `3m05s`. */
export function formatLag(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${two(seconds % 60)}s`;
}

/**
 * Event time, for a job that has it: the watermark every operator has reached (the lowest of those
 * that have one) as a time of day in UTC, and how far it trails the newest record's timestamp.
 * Behind the newest record, not behind the wall clock: records may be historic or generated (the
 * flagship's market opens at 09:30 on a day in 2024, and runs as fast as the cores go), where the
 * clock says nothing; the lag is the bound on disorder plus what waits in channels and mailboxes.
 * Undefined for a job without `withTimestamps`.
 */
export function eventTimeText(m: JobMetrics): string | undefined {
  let newest = -Infinity;
  let watermark = Infinity;
  for (const op of m.operators) {
    if (op.eventTime > newest) newest = op.eventTime;
    // −Infinity: none yet (or a branch without event time); +Infinity: the operator is done.
    if (Number.isFinite(op.watermark) && op.watermark < watermark) watermark = op.watermark;
  }
  if (newest === -Infinity) return undefined;
  if (watermark === Infinity) return `event time ${formatTimeOfDay(newest)}, no watermark yet`;
  return `watermark ${formatTimeOfDay(watermark)} (${formatLag(Math.max(0, newest - watermark))} behind the newest record)`;
}

/** Records read by the sources: the job's throughput. */
export const sourceRecords = (m: JobMetrics): number => m.operators.reduce((n, op) => (op.source ? n + op.recordsIn : n), 0);

/**
 * One status line: throughput, event time (see `eventTimeText`), then per operator the records it
 * took in and, where records wait, its mailbox fill (a full mailbox marks the bottleneck).
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
  const time = eventTimeText(m);
  const c = m.lastCheckpoint;
  const checkpoint = c ? `  │ checkpoint ${c.id} (${c.durationMs} ms, ${formatCount(c.bytes)} B)` : '';
  return `${(m.elapsedMs / 1000).toFixed(1)}s  ${formatCount(sourceRecords(m))} records  ${formatCount(recordsPerSec)}/s${time ? `  │ ${time}` : ''}  │ ${ops}  │ heap ${mb(heap)}${checkpoint}${stuck}`;
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
