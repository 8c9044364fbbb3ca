/** What `weir run` prints: the live progress line and the summary. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventTimeText, formatCount, formatLag, formatNanos, formatTimeOfDay, progressLine, sourceRecords, summary } from '../lib/cli/progress.ts';
import type { JobMetrics, OperatorMetrics } from '../lib/runtime/job-metrics.ts';

const operator = (o: Partial<OperatorMetrics> & Pick<OperatorMetrics, 'name'>): OperatorMetrics => ({
  parallelism: 2,
  source: false,
  recordsIn: 0,
  recordsOut: 0,
  queued: 0,
  maxQueued: 0,
  capacity: 32,
  backlog: 0,
  pauses: 0,
  paused: 0,
  keys: 0,
  lateRecords: 0,
  watermark: -Infinity,
  eventTime: -Infinity,
  subtasks: { running: 2 },
  ...o,
});

const metrics: JobMetrics = {
  job: 'stock-vwap',
  status: 'finished',
  elapsedMs: 2_500,
  operators: [
    operator({ name: 'trades', source: true, recordsIn: 10_000_000, recordsOut: 10_000_000, pauses: 12, paused: 1 }),
    operator({ name: 'vwap → collect#2', recordsIn: 9_990_000, recordsOut: 9_868, queued: 31, keys: 300 }),
  ],
  channels: [],
  workers: [
    { worker: 0, threadId: 1, heapUsedBytes: 30 * 2 ** 20, peakHeapBytes: 41 * 2 ** 20 },
    { worker: 1, threadId: 2, heapUsedBytes: 20 * 2 ** 20, peakHeapBytes: 35 * 2 ** 20 },
  ],
};

const progress = suite('cli progress');

progress('counts read like a person reads them', () => {
  assert.is(formatCount(950), '950');
  assert.is(formatCount(12_345), '12.3k');
  assert.is(formatCount(2_910_000), '2.91M');
  assert.is(formatCount(3_200_000_000), '3.20G');
});

progress('durations carry their unit', () => {
  assert.is(formatNanos(88.46), '88 ns');
  assert.is(formatNanos(9_999), '9999 ns');
  assert.is(formatNanos(12_345), '12.3 µs');
  assert.is(formatNanos(683_215_500), '683.2 ms');
  assert.is(formatNanos(2_345_000_000), '2.35 s');
});

progress('throughput is what the sources read', () => {
  assert.is(sourceRecords(metrics), 10_000_000);
});

progress('the live line shows throughput, each operator, the full mailbox and the paused source', () => {
  const line = progressLine({ ...metrics, status: 'running' }, 4_000_000);
  assert.is(line, '2.5s  10.00M records  4.00M/s  │ trades 10.00M (paused: no credit) │ vwap → collect#2 9.99M mailbox 31/32  │ heap 50 MB');
});

/** 09:31:12.4 UTC on the flagship's trading day. */
const at = (h: number, m: number, s: number) => Date.UTC(2024, 2, 15, h, m, s);

progress('event time reads as a time of day in UTC, to the tenth of a second', () => {
  assert.is(formatTimeOfDay(at(9, 31, 12) + 480), '09:31:12.4');
  assert.is(formatTimeOfDay(at(0, 0, 0)), '00:00:00.0');
  assert.is(formatTimeOfDay(at(23, 59, 59) + 999), '23:59:59.9', 'tenths are cut, not rounded into the next day');
  assert.is(formatTimeOfDay(-100), '23:59:59.9', 'before 1970 it is still a time of day');
});

progress('a lag carries its unit: ms, then seconds, then minutes', () => {
  assert.is(formatLag(0), '0 ms');
  assert.is(formatLag(251), '251 ms');
  assert.is(formatLag(2_449), '2.4 s');
  assert.is(formatLag(185_000), '3m05s');
});

const timed = (watermarks: number[], eventTime: number): JobMetrics => ({
  ...metrics,
  status: 'running',
  operators: [
    operator({ name: 'trades → withTimestamps#1', source: true, recordsIn: 10, eventTime }),
    ...watermarks.map((watermark, i) => operator({ name: `op${i}`, recordsIn: 10, watermark })),
  ],
});

progress('the watermark shown is the lowest one reached, and its lag is behind the newest record', () => {
  const newest = at(9, 31, 12) + 400;
  assert.is(eventTimeText(timed([newest - 300, newest - 1_250], newest)), 'watermark 09:31:11.1 (1.3 s behind the newest record)');
  assert.is(
    eventTimeText(timed([-Infinity, newest - 300, Infinity], newest)),
    'watermark 09:31:12.1 (300 ms behind the newest record)',
    'operators without a watermark yet, and finished ones, do not count',
  );
  assert.is(eventTimeText(timed([-Infinity], newest)), 'event time 09:31:12.4, no watermark yet');
  assert.is(eventTimeText(metrics), undefined, 'a job without withTimestamps shows no event time');
});

progress('the live line shows the watermark after the rate', () => {
  const newest = at(9, 31, 12) + 400;
  assert.is(
    progressLine(timed([newest - 300], newest), 1_000),
    '2.5s  10 records  1000/s  │ watermark 09:31:12.1 (300 ms behind the newest record)  │ trades → withTimestamps#1 10 │ op0 10  │ heap 50 MB',
  );
});

progress('the summary gives time, rate, CPU per record, and a row per operator', () => {
  const lines = summary(metrics, 3.1e9).split('\n');
  assert.is(lines[0], 'stock-vwap finished in 2.50s: 10.00M records, 4.00M records/s, 310 ns CPU/record on 2 worker threads (peak heap per worker 41 MB)');
  assert.match(lines[1]!, /^ {2}trades +p=2 +in +10\.00M +out +10\.00M +paused 12×$/);
  assert.match(lines[2]!, /^ {2}vwap → collect#2 +p=2 +in +9\.99M +out +9868 +keys 300$/);
  assert.not.match(summary(metrics), /CPU/, 'without a CPU figure the summary leaves it out');
});

progress.run();
