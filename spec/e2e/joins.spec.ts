/**
 * Joins and set operations in running jobs, against a brute-force reference written plainly here
 * (group by key, cut into windows, compare every pair): window join, coGroup, interval join,
 * distinct, intersect and except, over random input shuffled within maxOutOfOrderMs, each input
 * run at parallelism 1, 2 and 4.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { SIZES, type Group, type Kind, type Left, type Op, type Pair, type Params, type Right } from '../fixtures/joins.ts';
import { assertSameMultiset, disordered, fixture, Runtime, watchdog } from '../helpers.ts';

const DISORDER = 8;

interface Win {
  start: number;
  end: number;
}

/** A record of either stream, as the reference sees it. */
interface Any {
  side: 'a' | 'b';
  id: number;
  key: string;
  ts: number;
}

const anyOf = (p: Params): Any[] => [...p.a.map((r): Any => ({ side: 'a', id: r.id, key: r.key, ts: r.ts })), ...p.b.map((r): Any => ({ side: 'b', id: r.bid, key: r.who, ts: r.ts }))];

/** Every tumbling or sliding window [start, end) that holds `t`. */
function windowsOf(kind: Kind, t: number): Win[] {
  if (kind === 'tumbling') {
    const start = Math.floor(t / SIZES.tumbling) * SIZES.tumbling;
    return [{ start, end: start + SIZES.tumbling }];
  }
  const { size, slide, offset } = SIZES.sliding;
  const out: Win[] = [];
  for (let start = offset + Math.floor((t - offset - size) / slide) * slide; start <= t; start += slide) if (t < start + size) out.push({ start, end: start + size });
  return out;
}

/** Each key's windows with their members: by assignment, or (sessions) by sorting and cutting where a record starts at or after the session's end. */
function windowed(kind: Kind, records: Any[]): { key: string; window: Win; members: Any[] }[] {
  const byKey = new Map<string, Any[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const out: { key: string; window: Win; members: Any[] }[] = [];
  for (const [key, rs] of byKey) {
    if (kind === 'session') {
      let last: { key: string; window: Win; members: Any[] } | undefined;
      for (const r of [...rs].sort((x, y) => x.ts - y.ts)) {
        if (last && r.ts < last.window.end) {
          last.window.end = Math.max(last.window.end, r.ts + SIZES.gap);
          last.members.push(r);
        } else out.push((last = { key, window: { start: r.ts, end: r.ts + SIZES.gap }, members: [r] }));
      }
      continue;
    }
    const groups = new Map<string, Any[]>();
    for (const r of rs) for (const w of windowsOf(kind, r.ts)) groups.set(`${w.start}:${w.end}`, [...(groups.get(`${w.start}:${w.end}`) ?? []), r]);
    for (const [id, members] of groups) {
      const [start, end] = id.split(':').map(Number) as [number, number];
      out.push({ key, window: { start, end }, members });
    }
  }
  return out;
}

const asc = (xs: number[]) => [...xs].sort((x, y) => x - y);
const sides = (members: Any[]) => ({ as: members.filter((m) => m.side === 'a'), bs: members.filter((m) => m.side === 'b') });

/** The reference result of `p.op`, in the shape the job emits (distinct and the set operations: key and time of each record). */
function expected(p: Params): unknown[] {
  switch (p.op) {
    case 'join':
      return windowed(p.kind, anyOf(p)).flatMap(({ key, window, members }) => {
        const { as, bs } = sides(members);
        return as.flatMap((a) => bs.map((b): Pair => ({ key, a: a.id, b: b.id, start: window.start, end: window.end })));
      });
    case 'coGroup':
      return windowed(p.kind, anyOf(p)).map(({ key, window, members }): Group => {
        const { as, bs } = sides(members);
        return { key, start: window.start, end: window.end, as: asc(as.map((r) => r.id)), bs: asc(bs.map((r) => r.id)), aTimes: asc(as.map((r) => r.ts)), bTimes: asc(bs.map((r) => r.ts)) };
      });
    case 'interval': {
      const out: Pair[] = [];
      for (const a of p.a)
        for (const b of p.b) {
          const d = b.ts - a.ts;
          const low = p.lowerBoundExclusive ? d > p.lower! : d >= p.lower!;
          const high = p.upperBoundExclusive ? d < p.upper! : d <= p.upper!;
          if (a.key === b.who && low && high) out.push({ key: a.key, a: a.id, b: b.bid, ts: Math.max(a.ts, b.ts) });
        }
      return out;
    }
    case 'distinct':
      return [...new Set(p.a.map((r) => r.key))];
    case 'distinct-window':
      return windowed(p.kind, anyOf({ ...p, b: [] })).map(({ key, members }) => ({ key, ts: Math.min(...members.map((m) => m.ts)) }));
    case 'intersect':
    case 'except':
      return windowed(p.kind, anyOf(p)).flatMap(({ key, members }) => {
        const { as, bs } = sides(members);
        const keep = as.length > 0 && (p.op === 'intersect' ? bs.length > 0 : bs.length === 0);
        return keep ? [{ key, ts: Math.min(...as.map((m) => m.ts)) }] : [];
      });
  }
}

/** Records in time order, then shuffled within DISORDER ms. */
const timed = <T>(make: (id: number, key: string, ts: number) => T) =>
  fc
    .array(fc.record({ key: fc.constantFrom('x', 'y', 'z'), step: fc.integer({ min: 0, max: 5 }), jitter: fc.integer({ min: 0, max: DISORDER }) }), { maxLength: 30 })
    .map((rows) => {
      let t = 0;
      const records = rows.map((r, id) => ({ record: make(id, r.key, (t += r.step)), arrival: t + r.jitter }));
      return disordered(records, (r) => r.arrival).map((r) => r.record);
    });
const lefts = timed<Left>((id, key, ts) => ({ id, key, ts }));
const rights = timed<Right>((id, who, ts) => ({ bid: 1000 + id, who, ts }));
const kinds = fc.constantFrom<Kind>('tumbling', 'sliding', 'session');

const Joins = suite('joins and set operations: equal to the brute-force reference at parallelism 1, 2 and 4');

let runtime: Runtime;
Joins.before(() => void (runtime = new Runtime({ workers: 2 })));
Joins.after(() => runtime.close());

/** What the job emitted, in the reference's shape. */
async function runJoin(p: Params): Promise<unknown[]> {
  const h = await watchdog(runtime.run(fixture('joins'), { parallelism: 1, batchSize: 1, params: p }), 'start');
  const out = await watchdog(h.collected<unknown>('out'), `${p.op} job`);
  if (p.op === 'distinct') {
    const records = out as Left[];
    for (const r of records) assert.ok(p.a.some((x) => x.id === r.id && x.key === r.key && x.ts === r.ts), `distinct emits records of its input, got ${JSON.stringify(r)}`);
    return records.map((r) => r.key);
  }
  if (p.op === 'distinct-window' || p.op === 'intersect' || p.op === 'except') return (out as Left[]).map((r) => ({ key: r.key, ts: r.ts }));
  return out;
}

/** Runs `op` on one random input at parallelism 1, 2 and 4, each against the reference. */
function property(op: Op, more: fc.Arbitrary<Partial<Params>> = fc.constant({}), numRuns = 5) {
  return fc.assert(
    fc.asyncProperty(lefts, rights, kinds, fc.constantFrom(1, 2), more, async (a, b, kind, sourceParallelism, extra) => {
      for (const parallelism of [1, 2, 4]) {
        const p: Params = { op, kind, a, b, maxOutOfOrderMs: DISORDER, parallelism, sourceParallelism, ...extra };
        assertSameMultiset(await runJoin(p), expected(p), `${op} over ${kind} windows at p${parallelism} from ${sourceParallelism} source subtask(s)`);
      }
    }),
    { numRuns },
  );
}

Joins('window join: one result per same-key pair of a window', () => property('join'));
Joins('coGroup: per key and window both groups, earliest first, one possibly empty', () => property('coGroup'));
Joins('distinct: each key once, with one of its records', () => property('distinct'));
Joins('distinct per window: each key’s earliest record of each window', () => property('distinct-window'));
Joins('intersect: the keys of a window in both streams, with the first’s earliest record', () => property('intersect'));
Joins('except: the keys of a window in the first stream only, with its earliest record', () => property('except'));

/** Bounds from −6 to 10, lower ≤ upper, exclusive flags where the interval stays non-empty. */
const bounds = fc.record({ lower: fc.integer({ min: -6, max: 4 }), width: fc.integer({ min: 0, max: 6 }), lowerBoundExclusive: fc.boolean(), upperBoundExclusive: fc.boolean() }).map(({ lower, width, lowerBoundExclusive, upperBoundExclusive }) => {
  const empty = (width === 0 && (lowerBoundExclusive || upperBoundExclusive)) || (width === 1 && lowerBoundExclusive && upperBoundExclusive);
  return { lower, upper: lower + width, lowerBoundExclusive: lowerBoundExclusive && !empty, upperBoundExclusive: upperBoundExclusive && !empty };
});
Joins('interval join: every same-key pair with b.ts − a.ts within the bounds, stamped with the later time', () => property('interval', bounds, 8));

Joins.run();
