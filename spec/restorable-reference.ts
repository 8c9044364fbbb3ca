/**
 * The brute-force reference for spec/fixtures/restorable.ts, and its random input: what each kind
 * of operation outputs for the records of both sources, computed plainly (loops, sorts, sets).
 */
import fc from 'fast-check';
import { LOWER, UPPER, WINDOW, type Kind, type Out, type Rec } from './fixtures/restorable.ts';
import { disordered } from './helpers.ts';

export const MAX_OUT_OF_ORDER = 3;

/** Timed records of one source (ids from `firstId`), in an arrival order with bounded disorder. */
export const recordsArb = (firstId: number, minLength: number, maxLength: number): fc.Arbitrary<Rec[]> =>
  fc
    .array(fc.record({ key: fc.constantFrom('k0', 'k1', 'k2', 'k3'), step: fc.integer({ min: 0, max: 4 }), v: fc.integer({ min: 0, max: 99 }), jitter: fc.integer({ min: 0, max: MAX_OUT_OF_ORDER }) }), {
      minLength,
      maxLength,
    })
    .map((rows) => {
      let t = 0;
      const timed = rows.map((r, i) => ({ id: firstId + i, key: r.key, ts: (t += r.step), v: r.v, jitter: r.jitter }));
      return disordered(timed, (r) => r.ts + r.jitter).map(({ id, key, ts, v }) => ({ id, key, ts, v }));
    });

/** What `out` holds after a straight run of `kind` over a and b (for `lists`: one buffer of every id; compare with `flatBuffers`). */
export function expectedOut(kind: Kind, a: Rec[], b: Rec[]): Out[] {
  const out: Out[] = [];
  switch (kind) {
    case 'join':
      for (const x of a) for (const y of b) if (x.key === y.key && Math.floor(x.ts / WINDOW) === Math.floor(y.ts / WINDOW)) out.push({ kind: 'pair', a: x.id, b: y.id });
      break;
    case 'interval':
      for (const x of a) for (const y of b) if (x.key === y.key && y.ts >= x.ts + LOWER && y.ts <= x.ts + UPPER) out.push({ kind: 'pair', a: x.id, b: y.id });
      break;
    case 'distinct':
      for (const key of new Set([...a, ...b].map((r) => r.key))) out.push({ kind: 'key', key });
      break;
    case 'co-process': {
      const all = [...a, ...b];
      for (const key of new Set(all.map((r) => r.key))) {
        const mine = all.filter((r) => r.key === key);
        for (const time of new Set(mine.map((r) => r.ts + 5))) out.push({ kind: 'report', key, time, sum: mine.filter((r) => r.ts <= time).reduce((s, r) => s + r.v, 0) });
      }
      break;
    }
    case 'lists':
      out.push({ kind: 'buffer', values: [...a, ...b].map((r) => r.id).sort((x, y) => x - y) });
      break;
    case 'broadcast': {
      // When every rule (b) came before the first element (a).
      const keys = new Set(b.map((r) => r.key));
      for (const x of a) out.push({ kind: 'lookup', id: x.id, known: keys.has(x.key) });
      break;
    }
  }
  return out;
}

/** List buffers are dealt out per subtask: compare what they hold together. */
export const flatBuffers = (outs: readonly Out[]): Out[] => {
  const ids = outs.flatMap((o) => (o.kind === 'buffer' ? o.values : []));
  const rest = outs.filter((o) => o.kind !== 'buffer');
  return outs.some((o) => o.kind === 'buffer') ? [...rest, { kind: 'buffer', values: ids.sort((x, y) => x - y) }] : rest;
};
