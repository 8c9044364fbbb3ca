/**
 * `sources.fromReadable` in isolation: the stream is paused while the reader holds its buffer and
 * resumed as the job reads; a restore makes the stream again and skips what was read, or refuses.
 */
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sources, type SourceReader } from 'weir';
import { sourceContext, thrownBy } from './helpers.ts';

/** A stream of `count` numbers that counts how many it produced. */
function counted(count: number) {
  const made = { produced: 0, streams: 0 };
  const factory = (): Readable => {
    made.streams++;
    let i = 0;
    return new Readable({
      objectMode: true,
      highWaterMark: 4,
      read() {
        if (i === count) this.push(null);
        else {
          made.produced++;
          this.push(i++);
        }
      },
    });
  };
  return { made, factory };
}

/** A reader's wake-ups, as a promise of the next one. */
function wakeUps() {
  let wake: (() => void) | undefined;
  const woken = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  return { wakeUp: () => wake?.(), woken };
}

/** Reads everything, waiting for the stream between reads; returns the records. */
async function readAll(reader: SourceReader<number>, woken: () => Promise<void>, max = 10): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const next = woken();
    const before = out.length;
    if (!reader.read(max, { collect: (r) => void out.push(r), collectAll: (rs) => void out.push(...rs) })) return out;
    if (out.length === before) await next;
  }
}

const Readables = suite('fromReadable');

Readables('the stream is paused once the reader holds its buffer, and resumed as the job reads', async () => {
  const { made, factory } = counted(1000);
  const wake = wakeUps();
  const reader: SourceReader<number> = sources.fromReadable<number>(factory, { buffer: 16 }).open(sourceContext({ subtaskIndex: 0, parallelism: 1, wakeUp: wake.wakeUp }));
  const out: number[] = [];
  const collector = { collect: (r: number) => void out.push(r), collectAll: (rs: Iterable<number>) => void out.push(...rs) };
  reader.read(1, collector);
  // Let the stream flow as far as it will without the job reading.
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(made.produced - out.length <= 16 + 4 + 1, `the stream ran at most a buffer (16) and its own highWaterMark (4) ahead, got ${made.produced - out.length}`);
  const rest = await readAll(reader, wake.woken);
  assert.equal([...out, ...rest], Array.from({ length: 1000 }, (_, i) => i));
});

Readables("a restore makes the stream again and skips the records already read ('skip')", async () => {
  const { made, factory } = counted(100);
  const wake = wakeUps();
  const reader: SourceReader<number> = sources.fromReadable<number>(factory).open(sourceContext({ subtaskIndex: 0, parallelism: 1, wakeUp: wake.wakeUp }));
  reader.seek(37);
  const out = await readAll(reader, wake.woken);
  assert.equal(out, Array.from({ length: 63 }, (_, i) => i + 37));
  assert.is(made.streams, 1);
  assert.is(reader.offset(), 100);
});

Readables("a restore past the start is refused with restore: 'refuse', naming why", () => {
  const { factory } = counted(10);
  const reader = sources.fromReadable<number>(factory, { restore: 'refuse' }).open(sourceContext({ subtaskIndex: 0, parallelism: 1 }));
  reader.seek(0);
  assert.match(thrownBy(() => reader.seek(5), 'seek(5)').message, /cannot resume a stream at record 5 \(restore: 'refuse'\)/);
});

Readables('options are checked where the job is built', () => {
  assert.is(thrownBy(() => sources.fromReadable(() => Readable.from([]), { format: 'csv' as 'lines' }), 'format csv').code, 'WEIR_E_OPTION');
  assert.is(thrownBy(() => sources.fromReadable(() => Readable.from([]), { buffer: 0 }), 'buffer 0').code, 'WEIR_E_OPTION');
});

Readables.run();
