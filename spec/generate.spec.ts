import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sources, WeirError, type JsonValue, type SourceReader } from 'weir';
import { fixture, run, sourceContext, thrownBy, watchdog } from './helpers.ts';

/**
 * Opens every subtask of a source as the runtime does, with one split counter shared by all of them
 * (counting from `counter.next`), and subtask s resuming the unfinished splits `resumable[s]`.
 */
function openAll<T>(source: ReturnType<typeof sources.generate<T>>, parallelism: number, counter = { next: 0 }, resumable: JsonValue[][] = []): SourceReader<T>[] {
  const nextSplit = () => counter.next++;
  return Array.from({ length: parallelism }, (_, subtaskIndex) => source.open(sourceContext({ subtaskIndex, parallelism, nextSplit, resumeSplit: () => resumable[subtaskIndex]?.shift() })));
}

/** Reads `max` records from one reader; returns them and whether the reader has more. */
function readSome<T>(reader: SourceReader<T>, max: number): { records: T[]; more: boolean } {
  const records: T[] = [];
  const more = reader.read(max, { collect: (r) => void records.push(r), collectAll: (rs) => void records.push(...rs) });
  return { records, more };
}

const Generate = suite('sources.generate');

Generate('every index exactly once, whatever the assignment, parallelism and order of reads', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom('on-demand' as const, 'round-robin' as const),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 700 })), { minLength: 1, maxLength: 50 }),
      (count, parallelism, assign, schedule) => {
        const readers = openAll(sources.generate((i) => i, { count, assign }), parallelism);
        const seen: number[] = [];
        const open = new Set(readers.keys());
        // Subtasks read in the order the schedule says (a fast one reads often), then all drain.
        for (const [who, max] of schedule) {
          const s = who % parallelism;
          if (!open.has(s)) continue;
          const { records, more } = readSome(readers[s]!, max);
          seen.push(...records);
          if (!more) open.delete(s);
        }
        for (const s of open) {
          for (;;) {
            const { records, more } = readSome(readers[s]!, 1000);
            seen.push(...records);
            if (!more) break;
          }
        }
        assert.equal(
          seen.sort((a, b) => a - b),
          Array.from({ length: count }, (_, i) => i),
          `count ${count}, parallelism ${parallelism}, ${assign}`,
        );
      },
    ),
    { numRuns: 200 },
  );
});

Generate('on demand, a subtask that reads more gets more; round-robin shares stay fixed', () => {
  const counts = (assign: 'on-demand' | 'round-robin') => {
    const [fast, slow] = openAll(sources.generate((i) => i, { count: 10_000, assign }), 2);
    let fastRead = 0;
    for (let more = true; more; ) {
      const r = readSome(fast!, 100);
      fastRead += r.records.length;
      more = r.more;
    }
    return fastRead;
  };
  assert.is(counts('round-robin'), 5_000, 'expected subtask 1/2 to read its half, no more');
  assert.is(counts('on-demand'), 10_000, 'expected a subtask that reads alone to read everything');
});

Generate('offset() and seek() resume a reader where another left off', () => {
  for (const assign of ['on-demand', 'round-robin'] as const) {
    const source = sources.generate((i) => i * 10, { count: 1_000, assign });
    const [first] = openAll(source, 1);
    const head = readSome(first!, 123).records;
    const offset: JsonValue = first!.offset();
    const [second] = openAll(source, 1);
    second!.seek(JSON.parse(JSON.stringify(offset)) as JsonValue);
    const rest: number[] = [];
    for (let more = true; more; ) {
      const r = readSome(second!, 400);
      rest.push(...r.records);
      more = r.more;
    }
    // On demand, the second reader then claims further splits from its own counter: only where it
    // resumes is comparable.
    assert.is(rest[0], 1230, `${assign}: expected to resume at index 123`);
    if (assign === 'round-robin') assert.equal(rest, Array.from({ length: 1_000 - 123 }, (_, k) => (123 + k) * 10), 'expected the rest in order');
    assert.equal(head.slice(-1), [1220], `${assign}: expected the first reader to stop at index 122`);
  }
});

Generate('on demand, the readers\' offsets dealt out as unfinished splits to any other parallelism read every index exactly once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 300 })), { maxLength: 20 }),
      (count, before, after, schedule) => {
        const source = sources.generate((i) => i, { count });
        assert.ok(source.rescalable, 'on demand, generate is rescalable');
        const counter = { next: 0 };
        const first = openAll(source, before, counter);
        const seen: number[] = [];
        for (const [who, max] of schedule) seen.push(...readSome(first[who % before]!, max).records);
        // The checkpoint: every reader's offset, and the counter; dealt out round-robin, as the actor does.
        const offsets = first.map((r) => JSON.parse(JSON.stringify(r.offset())) as JsonValue);
        const dealt = Array.from({ length: after }, (_, s) => offsets.filter((_, i) => i % after === s));
        const second = openAll(source, after, counter, dealt);
        for (const reader of second) for (let more = true; more; ) {
          const r = readSome(reader, 500);
          seen.push(...r.records);
          more = r.more;
        }
        assert.equal(seen.sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), `count ${count}, parallelism ${before} → ${after}`);
      },
    ),
    { numRuns: 200 },
  );
  assert.not.ok(sources.generate((i) => i, { assign: 'round-robin' }).rescalable, 'round-robin shares are fixed');
});

Generate('a wrong assign option is refused by name', () => {
  const error = thrownBy(() => sources.generate((i) => i, { assign: 'random' as never }), 'assign random');
  assert.instance(error, WeirError);
  assert.match(error.message, /"generate assign": got "random"; allowed: 'on-demand' or 'round-robin'/);
});

Generate('on real threads, three subtasks on two workers emit every index once', async () => {
  const h = await run(fixture('numbers'), { parallelism: 3, workers: 2, params: { count: 20_000 } });
  const numbers = await watchdog(h.collected<{ n: number }>('numbers'), 'numbers at parallelism 3');
  assert.equal(
    numbers.map((r) => r.n).sort((a, b) => a - b),
    Array.from({ length: 20_000 }, (_, i) => i),
  );
  await h.done;
});

Generate.run();
