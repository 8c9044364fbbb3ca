import type { KeyedOperatorContext, TwoInputOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { twoSidedWindowOperator, type Sided, type TimeWindowAssigner, type Timed } from './two-sided-window.ts';

/** Which keys of a window a set operation keeps: those in both inputs, or those in the first only. */
export type SetOperation = 'intersect' | 'except';

/** What a window of a set operation keeps per key: the first input's earliest record, and whether the second had one. */
interface Presence<T> {
  a: Timed<T> | undefined;
  b: boolean;
}

const earlier = <T>(x: Timed<T> | undefined, y: Timed<T> | undefined): Timed<T> | undefined => (x === undefined || (y !== undefined && y.t < x.t) ? y : x);

/**
 * Intersect and except of two streams of one type, per key and window: when a window fires, the
 * first input's earliest record of each key (ties: the first to arrive) is emitted if the second
 * input had that key in the window too (`intersect`), or had not (`except`). Each window keeps one
 * record and one flag per key, never the records.
 *
 * @example
 * ```ts
 * keyedToday.connect(keyedYesterday).transform('returning', windowSetOperator('intersect', windows.tumbling({ days: 1 })));
 * ```
 */
export function windowSetOperator<T, K extends Key>(operation: SetOperation, assigner: TimeWindowAssigner<T>): TwoInputOperatorFactory<T, T, T, KeyedOperatorContext<K>> {
  const keep = operation === 'intersect' ? (p: Presence<T>) => p.a !== undefined && p.b : (p: Presence<T>) => p.a !== undefined && !p.b;
  return twoSidedWindowOperator<T, T, T, K>(assigner, {
    kind: 'aggregate',
    create: (): Presence<T> => ({ a: undefined, b: false }),
    add: (p: Presence<T>, r: Sided<T, T>): Presence<T> => (r.s === 1 ? { ...p, b: true } : { a: earlier(p.a, { t: r.t, v: r.v }), b: p.b }),
    merge: (x: Presence<T>, y: Presence<T>): Presence<T> => ({ a: earlier(x.a, y.a), b: x.b || y.b }),
    result: (p: Presence<T>): T | null => (keep(p) ? p.a!.v : null),
  });
}
