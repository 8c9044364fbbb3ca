import type { Collector } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { Window } from '../lib/window/windows.ts';

/** What a window function's `window` step sees besides the result. */
export interface WindowInfo<K extends Key, W extends Window> {
  readonly key: K;
  readonly window: W;
}

/**
 * Incremental reduction of a window's records: the window keeps one value, never its records.
 * `reduce` may change `accumulated` in place and return it. `window` (optional) turns the result
 * into what is emitted, with the key and window; without it the reduced value itself is emitted.
 *
 * @example
 * ```ts
 * const maxPrice: ReduceWindowFunction<Trade, { symbol: string; end: number; max: number }, string, TimeWindow> = {
 *   kind: 'reduce',
 *   reduce: (a, b) => (b.price > a.price ? b : a),
 *   window: (top, { key, window }) => ({ symbol: key, end: window.end, max: top.price }),
 * };
 * ```
 */
export interface ReduceWindowFunction<T, O, K extends Key, W extends Window> {
  readonly kind: 'reduce';
  reduce(accumulated: T, record: T): T;
  window?(result: T, info: WindowInfo<K, W>): O;
}

/**
 * Incremental aggregation of a window's records (Flink's AggregateFunction): one accumulator per
 * window, `create`d at its first record, updated by `add`, turned into a result by `result`, which
 * must return a new value, not the accumulator. `merge` combines two accumulators: session windows
 * need it. `window` (optional) turns the result into what is emitted.
 *
 * @example
 * ```ts
 * const average: AggregateWindowFunction<Trade, { n: number; sum: number }, number, number, string, TimeWindow> = {
 *   kind: 'aggregate',
 *   create: () => ({ n: 0, sum: 0 }),
 *   add: (acc, t) => ({ n: acc.n + 1, sum: acc.sum + t.price }),
 *   result: (acc) => acc.sum / acc.n,
 *   merge: (a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum }),
 * };
 * ```
 */
export interface AggregateWindowFunction<T, A, R, O, K extends Key, W extends Window> {
  readonly kind: 'aggregate';
  create(): A;
  add(accumulator: A, record: T): A;
  result(accumulator: A, key: K, window: W): R;
  merge?(a: A, b: A): A;
  window?(result: R, info: WindowInfo<K, W>): O;
}

/**
 * A function of all of a window's records, which the window keeps until it fires. `records` are
 * the window's own (in arrival order; merged sessions earliest first): read them, do not change
 * them, and emit copies of what you keep (a window may fire again within the allowed lateness).
 *
 * @example
 * ```ts
 * const median: ProcessWindowFunction<Trade, { symbol: string; median: number }, string, TimeWindow> = {
 *   kind: 'process',
 *   process(symbol, window, trades, out) {
 *     const prices = trades.map((t) => t.price).sort((a, b) => a - b);
 *     out.collect({ symbol, median: prices[prices.length >> 1]! });
 *   },
 * };
 * ```
 */
export interface ProcessWindowFunction<T, O, K extends Key, W extends Window> {
  readonly kind: 'process';
  process(key: K, window: W, records: readonly T[], out: Collector<O>): void;
}

/** The function a window applies when it fires: incremental (`reduce`, `aggregate`) or over all its records (`process`). */
export type WindowFunction<T, O, K extends Key, W extends Window> =
  | ReduceWindowFunction<T, O, K, W>
  | AggregateWindowFunction<T, unknown, unknown, O, K, W>
  | ProcessWindowFunction<T, O, K, W>;

/**
 * How windows hold what they were given, by function kind, as plain data in keyed state: a boxed
 * value (`{ v }`, so that a legitimate `undefined` result is not mistaken for "nothing yet") for
 * reduce and aggregate, an array of records for process.
 */
export interface WindowContents<T, O, K extends Key> {
  /** Adds `record` to what a window holds (`undefined`: nothing yet). `shared`: the record went into another window already. */
  add(held: unknown, record: T, shared: boolean): unknown;
  /** What two windows hold, combined (sessions), the earlier first. */
  merge(earlier: unknown, later: unknown): unknown;
  /** Emits the result of what a window holds. `kept`: the window keeps it after this, so what leaves must be a copy. */
  emit(held: unknown, key: K, window: Window, out: Collector<O>, kept: boolean): void;
}

/** A copy of a value an operator keeps and emits: records that leave belong to the next operator. */
const copy = <V>(value: V): V => (typeof value === 'object' && value !== null ? structuredClone(value) : value);

type Box<V> = { v: V };

/** The contents of windows of `fn`. */
export function windowContents<T, O, K extends Key, W extends Window>(fn: WindowFunction<T, O, K, W>): WindowContents<T, O, K> {
  switch (fn.kind) {
    case 'reduce':
      return {
        add(held, record, shared) {
          const box = held as Box<T> | undefined;
          // reduce may change its first argument: a record starting a second window starts it as a copy.
          if (box === undefined) return { v: shared ? copy(record) : record };
          box.v = fn.reduce(box.v, record);
          return box;
        },
        merge(earlier, later) {
          const box = earlier as Box<T>;
          box.v = fn.reduce(box.v, (later as Box<T>).v);
          return box;
        },
        emit(held, key, window, out, kept) {
          const value = kept ? copy((held as Box<T>).v) : (held as Box<T>).v;
          out.collect(fn.window ? fn.window(value, { key, window: window as W }) : (value as unknown as O));
        },
      };
    case 'aggregate':
      return {
        add(held, record) {
          const box = (held as Box<unknown> | undefined) ?? { v: fn.create() };
          box.v = fn.add(box.v, record);
          return box;
        },
        merge(earlier, later) {
          const box = earlier as Box<unknown>;
          box.v = fn.merge!(box.v, (later as Box<unknown>).v);
          return box;
        },
        emit(held, key, window, out) {
          const result = fn.result((held as Box<unknown>).v, key, window as W);
          out.collect(fn.window ? fn.window(result, { key, window: window as W }) : (result as O));
        },
      };
    case 'process':
      return {
        add(held, record) {
          const records = (held as T[] | undefined) ?? [];
          records.push(record);
          return records;
        },
        merge(earlier, later) {
          const records = earlier as T[];
          // A loop, not push(...later): spreading a long window's records would overflow the stack.
          for (const record of later as T[]) records.push(record);
          return records;
        },
        emit(held, key, window, out, kept) {
          fn.process(key, window as W, kept ? (held as T[]).slice() : (held as T[]), out);
        },
      };
  }
}

/**
 * How windows hold what they were given where a window is never empty: the event-time paths
 * (`eventTimePanes`, `eventTimeWindows`) create a window with its first record, so they need no
 * "nothing yet", and keep the reduced value or the accumulator itself, not in a box: one object
 * fewer per key and window. `add` and `emit` see what `first` and `add` returned, `undefined` included.
 *
 * @example
 * ```ts
 * const held = unboxedWindowContents(fn);
 * let value = held.first(record, false);
 * value = held.add(value, next, false);
 * held.emit(value, key, window, out, false);
 * ```
 */
export interface UnboxedWindowContents<T, O, K extends Key> {
  /** What a window holds after its first record. `shared`: the record went into another window already. */
  first(record: T, shared: boolean): unknown;
  /** What a window holds after one more record. */
  add(held: unknown, record: T, shared: boolean): unknown;
  /** Emits the result of what a window holds. `kept`: the window keeps it after this, so what leaves must be a copy. */
  emit(held: unknown, key: K, window: Window, out: Collector<O>, kept: boolean): void;
}

/** The unboxed contents of windows of `fn` (see `UnboxedWindowContents`); the same results as `windowContents`. */
export function unboxedWindowContents<T, O, K extends Key, W extends Window>(fn: WindowFunction<T, O, K, W>): UnboxedWindowContents<T, O, K> {
  switch (fn.kind) {
    case 'reduce':
      return {
        // reduce may change its first argument: a record starting a second window starts it as a copy.
        first: (record, shared) => (shared ? copy(record) : record),
        add: (held, record) => fn.reduce(held as T, record),
        emit(held, key, window, out, kept) {
          const value = kept ? copy(held as T) : (held as T);
          out.collect(fn.window ? fn.window(value, { key, window: window as W }) : (value as unknown as O));
        },
      };
    case 'aggregate':
      return {
        first: (record) => fn.add(fn.create(), record),
        add: (held, record) => fn.add(held, record),
        emit(held, key, window, out) {
          const result = fn.result(held, key, window as W);
          out.collect(fn.window ? fn.window(result, { key, window: window as W }) : (result as O));
        },
      };
    case 'process': {
      const boxed = windowContents(fn);
      return {
        first: (record) => [record],
        add: (held, record) => {
          (held as T[]).push(record);
          return held;
        },
        emit: boxed.emit,
      };
    }
  }
}
