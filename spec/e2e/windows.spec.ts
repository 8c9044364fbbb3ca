/**
 * Windows in running jobs, against a brute-force reference written plainly here (sort, group,
 * compute): every window kind and function, at keyed parallelism 1, 2 and 4, from one or two source
 * subtasks, whatever the disorder within maxOutOfOrderMs. Then late data and malformed use.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { SIZES, type Fn, type Kind, type Params, type Rec, type Result } from '../fixtures/windows.ts';
import { assertSameMultiset, disordered, fixture, Runtime, watchdog } from '../helpers.ts';

/** Every window [start, end) of a time-window kind that holds `t`. */
function windowsOf(kind: Kind, t: number): { start: number; end: number }[] {
  if (kind === 'tumbling' || kind === 'all-tumbling') {
    const start = Math.floor(t / SIZES.tumbling) * SIZES.tumbling;
    return [{ start, end: start + SIZES.tumbling }];
  }
  const { size, slide, offset } = SIZES.sliding;
  const out: { start: number; end: number }[] = [];
  // Every start offset + k·slide with start ≤ t < start + size, found by walking the starts.
  for (let start = offset + Math.floor((t - offset - size) / slide) * slide; start <= t; start += slide) if (t < start + size) out.push({ start, end: start + size });
  return out;
}

/** Sessions of one key's records, by sorting them and cutting where the next record starts at or after the session's end. */
function sessions(records: Rec[], gapOf: (r: Rec) => number): { start: number; end: number; members: Rec[] }[] {
  const out: { start: number; end: number; members: Rec[] }[] = [];
  for (const r of [...records].sort((a, b) => a.ts - b.ts)) {
    const last = out.at(-1);
    if (last && r.ts < last.end) {
      last.end = Math.max(last.end, r.ts + gapOf(r));
      last.members.push(r);
    } else out.push({ start: r.ts, end: r.ts + gapOf(r), members: [r] });
  }
  return out;
}

/** The brute-force reference: the result of every window of every key. */
function expected(p: Params): Result[] {
  const byKey = new Map<string, Rec[]>();
  for (const r of p.records) {
    const key = p.kind === 'all-tumbling' ? '*' : r.key;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const out: Result[] = [];
  const sum = (rs: Rec[]) => rs.reduce((s, r) => s + r.v, 0);
  for (const [key, records] of byKey) {
    if (p.kind === 'session' || p.kind === 'session-per-record') {
      const gapOf = p.kind === 'session' ? () => SIZES.gap : (r: Rec) => r.gap;
      for (const s of sessions(records, gapOf)) out.push({ key, start: s.start, end: s.end, n: s.members.length, sum: sum(s.members) });
    } else if (p.kind === 'count-tumbling' || p.kind === 'count-sliding') {
      // Count windows follow arrival order: one source subtask keeps each key's records in array order.
      const { size, slide } = p.kind === 'count-tumbling' ? { size: SIZES.count, slide: SIZES.count } : SIZES.countSliding;
      for (let end = slide; end <= records.length; end += slide) {
        const start = Math.max(0, end - size);
        out.push({ key, start, end, n: end - start, sum: sum(records.slice(start, end)) });
      }
    } else {
      const grouped = new Map<string, Rec[]>();
      for (const r of records) for (const w of windowsOf(p.kind, r.ts)) grouped.set(`${w.start}:${w.end}`, [...(grouped.get(`${w.start}:${w.end}`) ?? []), r]);
      for (const [id, members] of grouped) {
        const [start, end] = id.split(':').map(Number) as [number, number];
        out.push({ key, start, end, n: members.length, sum: sum(members) });
      }
    }
  }
  return out;
}

/** Records with ids, keys, values and gaps, in time order, then shuffled within `disorder` ms. */
const recordsOf = (disorder: number) =>
  fc
    .array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), step: fc.integer({ min: 0, max: 7 }), v: fc.integer({ min: 0, max: 100 }), gap: fc.integer({ min: 1, max: 8 }), jitter: fc.integer({ min: 0, max: disorder }) }), {
      minLength: 1,
      maxLength: 50,
    })
    .map((rows) => {
      let t = 0;
      return disordered(rows.map((r, id) => ({ id, key: r.key, ts: (t += r.step), v: r.v, gap: r.gap, jitter: r.jitter })), (r) => r.ts + r.jitter).map(
        ({ jitter: _j, ...r }): Rec => r,
      );
    });

const Windows = suite('windows: every kind and function equals the brute-force reference');

let runtime: Runtime;
Windows.before(() => void (runtime = new Runtime({ workers: 2 })));
Windows.after(() => runtime.close());

async function runWindows(p: Params): Promise<{ results: Result[]; late: Rec[] }> {
  const h = await watchdog(runtime.run(fixture('windows'), { parallelism: 1, params: p }), 'start');
  const [results, late] = await watchdog(Promise.all([h.collected<Result>('windows'), h.collected<Rec>('late')]), `${p.kind} windows`);
  return { results, late };
}

const cases: [Kind, Fn[]][] = [
  ['tumbling', ['reduce', 'aggregate', 'process']],
  ['sliding', ['reduce', 'aggregate', 'process']],
  ['session', ['reduce', 'aggregate', 'process']],
  ['session-per-record', ['aggregate', 'process']],
  ['count-tumbling', ['reduce', 'aggregate']],
  ['count-sliding', ['process']],
  ['all-tumbling', ['aggregate', 'process']],
];

for (const [kind, fns] of cases) {
  Windows(`${kind}: ${fns.join(', ')} at parallelism 1, 2 and 4, whatever the disorder`, async () => {
    // Count windows count in arrival order, which only one source subtask keeps the same in every run.
    const ordered = kind.startsWith('count');
    await fc.assert(
      fc.asyncProperty(recordsOf(ordered ? 0 : 12), fc.constantFrom(...fns), fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), async (records, fn, keyedParallelism, sources) => {
        const p: Params = { records, maxOutOfOrderMs: 12, kind, fn, keyedParallelism, sourceParallelism: ordered ? 1 : sources };
        const { results, late } = await runWindows(p);
        assert.equal(late, [], 'no record is late within maxOutOfOrderMs');
        assertSameMultiset(results, expected(p), `${kind} ${fn} at p${keyedParallelism} from ${p.sourceParallelism} source subtask(s)`);
      }),
      { numRuns: 8 },
    );
  });
}

Windows('session merging: a record that arrives after two sessions exist, between them, bridges them into one', async () => {
  const rec = (id: number, ts: number): Rec => ({ id, key: 'k', ts, v: id, gap: SIZES.gap });
  // 0 and 8 open [0,5) and [8,13); 4 (late but within the bound) opens [4,9), which overlaps both.
  const records = [rec(1, 0), rec(2, 8), rec(3, 4)];
  const p: Params = { records, maxOutOfOrderMs: 10, kind: 'session', fn: 'process', keyedParallelism: 2, sourceParallelism: 1 };
  const { results } = await runWindows(p);
  assert.equal(results, [{ key: 'k', start: 0, end: 13, n: 3, sum: 6 }]);
});

Windows.run();

const Late = suite('windows: late data');

Late.before(() => void (runtime = new Runtime({ workers: 2 })));
Late.after(() => runtime.close());

Late('records beyond the allowed lateness go to the late output, exactly those, and nothing is lost', async () => {
  await fc.assert(
    fc.asyncProperty(recordsOf(30), fc.constantFrom(0, 5), fc.constantFrom(1, 2), async (records, allowedLatenessMs, keyedParallelism) => {
      // The bound is below the disorder: some records come after the watermark passed their window.
      const maxOutOfOrderMs = 3;
      const p: Params = { records, maxOutOfOrderMs, kind: 'tumbling', fn: 'aggregate', keyedParallelism, sourceParallelism: 1, allowedLatenessMs, punctuated: true };
      const h = await watchdog(runtime.run(fixture('windows'), { parallelism: 1, params: p }), 'start');
      const [results, late, { metrics }] = await watchdog(Promise.all([h.collected<Result>('windows'), h.collected<Rec>('late'), h.done]), 'late data');
      // The reference: one source subtask sends the records in array order, each followed by the
      // watermark (punctuated): the highest timestamp so far less the bound, less 1. A record is
      // late when its window's last millisecond plus the allowed lateness is at or behind it.
      let watermark = -Infinity;
      let max = -Infinity;
      const expectedLate: Rec[] = [];
      const onTime: Rec[] = [];
      for (const r of records) {
        const end = Math.floor(r.ts / SIZES.tumbling) * SIZES.tumbling + SIZES.tumbling;
        if (end - 1 + allowedLatenessMs <= watermark) expectedLate.push(r);
        else onTime.push(r);
        max = Math.max(max, r.ts);
        watermark = max - maxOutOfOrderMs - 1;
      }
      assertSameMultiset(late, expectedLate, 'late records');
      assert.is(metrics.operators.find((o) => o.name.includes('window#'))!.lateRecords, expectedLate.length, 'late records counted');
      // Nothing lost: the last firing of every window counts each on-time record once, plus the late ones.
      const last = new Map<string, Result>();
      for (const r of results) last.set(`${r.key}:${r.start}`, r);
      assert.is([...last.values()].reduce((n, r) => n + r.n, 0) + late.length, records.length, 'on-time + late = input');
      assert.is([...last.values()].reduce((n, r) => n + r.n, 0), onTime.length);
    }),
    { numRuns: 10 },
  );
});

Late.run();
