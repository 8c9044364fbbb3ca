import type { Collector } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { KeyedValuesView } from '../lib/state/keyed-values-view.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import type { KeyStarts } from './window-event-time.ts';
import type { UnboxedWindowContents } from './window-functions.ts';

/**
 * One window of time, for every key that has records in it: the keys in the order of their first
 * record, and what each key's window holds (see `UnboxedWindowContents`), side by side. A key's place
 * comes from `index`, a Map of small integers, so that adding a record allocates nothing and a
 * window's results are read in order by position, without an iterator's entry arrays.
 */
export class Pane {
  readonly keys: Key[] = [];
  readonly held: unknown[] = [];
  readonly index = new Map<Key, number>();
  /** The window's last millisecond: it fires when the watermark reaches it. */
  readonly last: number;

  constructor(
    /** The window's start in slides from the offset (see `KeyStarts`). */
    readonly slot: number,
    readonly window: TimeWindow,
  ) {
    this.last = window.end - 1;
  }

  /** Puts `contents` as what `key` holds in this window (a key new to it goes last). */
  put(key: Key, contents: unknown): void {
    const i = this.index.get(key);
    if (i !== undefined) this.held[i] = contents;
    else {
      this.index.set(key, this.keys.length);
      this.keys.push(key);
      this.held.push(contents);
    }
  }
}

/**
 * The open windows of one subtask of the event-time window operator (see `eventTimePanes`), earliest
 * first. They are the operator's keyed state: the backend sees them through the `KeyedValuesView`
 * they implement, as one value per key in the form the key-by-key path keeps (`KeyStarts`: the
 * key's windows by slot, each with what it holds), so a snapshot is cut, split by key group and
 * restored at any parallelism like any value state. A snapshot of the key-by-key path of windows
 * without lateness (what weir used for them before panes) restores into panes, its timers firing to
 * no effect (panes fire on the watermark); not the other way round, as panes keep no timers for
 * that path to fire.
 *
 * @example
 * ```ts
 * const panes = new Panes((slot) => ({ start: slot * 10_000, end: slot * 10_000 + 10_000 }));
 * panes.at(170_000_000).put('AAPL', { count: 1 });
 * ```
 */
export class Panes implements KeyedValuesView {
  /** Open windows, by slot, ascending: windows of one size end in the order they start. */
  readonly open: Pane[] = [];

  constructor(private readonly windowOf: (slot: number) => TimeWindow) {}

  /** The window of `slot`, opened (in its place by slot) if it was not. */
  at(slot: number): Pane {
    const open = this.open;
    // From the latest: records come nearly in time order, so most go to one of the last windows.
    let i = open.length - 1;
    while (i >= 0 && open[i]!.slot > slot) i--;
    if (i >= 0 && open[i]!.slot === slot) return open[i]!;
    const pane = new Pane(slot, this.windowOf(slot));
    open.splice(i + 1, 0, pane);
    return pane;
  }

  /** Takes the earliest window if the watermark has reached its last millisecond. */
  takeDue(watermark: number): Pane | undefined {
    const first = this.open[0];
    if (first === undefined || first.last > watermark) return undefined;
    this.open.shift();
    return first;
  }

  // The backend's view (see KeyedValuesView): asked only when a snapshot is cut or keys are listed.

  get size(): number {
    let n = 0;
    for (const pane of this.open) n += pane.keys.length;
    return n;
  }

  keys(): IterableIterator<Key> {
    if (this.open.length === 1) return this.open[0]!.keys.values();
    return new Set(this.open.flatMap((pane) => pane.keys)).values();
  }

  entries(): Iterable<[Key, unknown]> {
    const byKey = new Map<Key, KeyStarts>();
    for (const pane of this.open) {
      const { keys, held, slot } = pane;
      for (let i = 0; i < keys.length; i++) {
        const starts = byKey.get(keys[i]!);
        if (starts === undefined) byKey.set(keys[i]!, [slot, held[i]]);
        else starts.push(slot, held[i]);
      }
    }
    return byKey;
  }

  restore(key: Key, value: unknown): void {
    const starts = value as KeyStarts;
    for (let i = 0; i < starts.length; i += 2) this.at(starts[i] as number).put(key, starts[i + 1]);
  }
}

/**
 * The results of one window that fired, for `collectAll`: pulled key by key, so that where the
 * output runs out of credit the rest waits unread (a window of 100,000 keys never sits in memory as
 * 100,000 results). A key's results (a process function may emit any number) go through `#buffer`.
 * One `IteratorResult` serves every `next()`, changed each time: weir's `collectAll` is the only
 * reader, and reads each result before it asks for the next.
 */
export class PaneResults<T, O, K extends Key> implements IterableIterator<O>, Collector<O> {
  #key = 0;
  /** A key's results, `#count` of them from the start, read up to `#read`; refilled in place (setting an array's length is a runtime call). */
  readonly #buffer: O[] = [];
  #count = 0;
  #read = 0;
  readonly #step: { done: boolean; value: O | undefined } = { done: false, value: undefined };

  constructor(
    private readonly pane: Pane,
    private readonly contents: UnboxedWindowContents<T, O, K>,
  ) {}

  next(): IteratorResult<O> {
    const step = this.#step;
    const { keys, held, window } = this.pane;
    while (this.#read === this.#count) {
      if (this.#key === keys.length) {
        step.done = true;
        step.value = undefined;
        return step as IteratorResult<O>;
      }
      this.#count = 0;
      this.#read = 0;
      const k = this.#key++;
      try {
        this.contents.emit(held[k], keys[k] as K, window, this, false);
      } catch (cause) {
        // The error reaches the user through the stage's collectAll, which knows no key or window.
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new Error(`window [${window.start}, ${window.end}) of key ${JSON.stringify(keys[k])}: ${message}`, { cause });
      }
    }
    step.value = this.#buffer[this.#read++];
    return step as IteratorResult<O>;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Where `emit` puts a key's results. */
  collect(record: O): void {
    this.#buffer[this.#count++] = record;
  }

  collectAll(records: Iterable<O>): void {
    for (const record of records) this.collect(record);
  }
}
