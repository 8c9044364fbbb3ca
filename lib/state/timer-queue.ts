import { keyGroupOf, type Key } from './key-groups.ts';
import { decodeKey, decodeTime, encodeKey, encodeTime, type SnapshotKey, type SnapshotTime } from './keyed-state-snapshot.ts';

/**
 * A timer queue as plain data that survives JSON: key group → [time, key] pairs, so it can be
 * restored at another parallelism; times and keys JSON cannot write (±Infinity, NaN) are encoded as
 * in keyed state snapshots. Within a group, timers are in time order.
 */
export type TimerSnapshot = Record<number, [SnapshotTime, SnapshotKey][]>;

/**
 * The timers of one time domain of one keyed operator: at most one per key and time, taken in time
 * order (keys of one time in the order they were registered). Times sit in a binary min-heap, each
 * with the set of keys due then; a deleted timer leaves its time in the heap until it comes up
 * empty, which costs less than searching the heap on every delete.
 *
 * @example
 * ```ts
 * const timers = new TimerQueue();
 * timers.register(1000, 'AAPL');
 * timers.register(1000, 'AAPL'); // still one timer
 * timers.poll(999);  // undefined: nothing due
 * timers.poll(1000); // { time: 1000, key: 'AAPL' }
 * ```
 */
export class TimerQueue {
  readonly #heap: number[] = [];
  readonly #keys = new Map<number, Set<Key>>();
  #size = 0;
  /**
   * Where taking the keys of the earliest time has got to: a live iterator over its set (it skips
   * keys deleted since, and reaches keys added since). Taking each key from a fresh iterator would
   * step over every key taken before it (a Set keeps deleted entries' places until it shrinks):
   * quadratic in the keys of one time, 2 µs a timer at a thousand keys.
   */
  #cursorTime = NaN;
  #cursor: Iterator<Key> | undefined;
  /** The keys of `#cursorTime`. */
  #cursorKeys: Set<Key> | undefined;
  #polledTime = NaN;
  /** The time `register` saw last, and its keys (while they are in `#keys`). */
  #lastTime = NaN;
  #lastKeys: Set<Key> | undefined;

  /** Timers registered and not yet taken. */
  get size(): number {
    return this.#size;
  }

  register(time: number, key: Key): void {
    // Timers come in runs of one time (a window's end, for each of its keys): the last time's keys are at hand.
    let keys = time === this.#lastTime ? this.#lastKeys : this.#keys.get(time);
    if (!keys) {
      this.#keys.set(time, (keys = new Set()));
      this.#push(time);
    }
    this.#lastTime = time;
    this.#lastKeys = keys;
    const before = keys.size;
    if (keys.add(key).size !== before) this.#size++;
  }

  delete(time: number, key: Key): void {
    const keys = this.#keys.get(time);
    if (keys?.delete(key)) this.#size--;
  }

  /** The earliest time with a timer, if any. */
  peek(): number | undefined {
    this.#dropEmpty();
    return this.#heap[0];
  }

  /** Takes the earliest timer due at or before `upTo`, if any. */
  poll(upTo: number): { time: number; key: Key } | undefined {
    const key = this.pollKey(upTo);
    return key === undefined ? undefined : { time: this.#polledTime, key };
  }

  /**
   * `poll` without an object per timer: the key of the earliest timer due at or before `upTo`
   * (undefined: none), whose time `polledTime` then holds. What a stage firing thousands of timers
   * per watermark calls.
   *
   * @example
   * ```ts
   * for (let key = timers.pollKey(upTo); key !== undefined; key = timers.pollKey(upTo)) fire(timers.polledTime, key);
   * ```
   */
  pollKey(upTo: number): Key | undefined {
    this.#dropEmpty();
    if (this.#heap.length === 0) return undefined;
    const time = this.#heap[0]!;
    if (time > upTo) return undefined;
    if (this.#cursorTime !== time) {
      this.#cursorTime = time;
      this.#cursorKeys = this.#keys.get(time)!;
      this.#cursor = this.#cursorKeys.values();
    }
    const key = this.#cursor!.next().value as Key;
    this.#cursorKeys!.delete(key);
    this.#size--;
    this.#polledTime = time;
    return key;
  }

  /** The time of the timer `pollKey` took last. */
  get polledTime(): number {
    return this.#polledTime;
  }

  snapshot(maxParallelism: number): TimerSnapshot {
    const groups: TimerSnapshot = {};
    const times = [...this.#keys.keys()].sort((a, b) => a - b);
    for (const time of times) for (const key of this.#keys.get(time)!) (groups[keyGroupOf(key, maxParallelism)] ??= []).push([encodeTime(time), encodeKey(key)]);
    return groups;
  }

  /** Adds the timers of the key groups `owns` accepts. */
  restore(snapshot: TimerSnapshot, owns: (keyGroup: number) => boolean): void {
    for (const [group, timers] of Object.entries(snapshot)) {
      if (!owns(Number(group))) continue;
      for (const [time, key] of timers) this.register(decodeTime(time), decodeKey(key));
    }
  }

  /** Pops times whose keys were all taken or deleted. */
  #dropEmpty(): void {
    while (this.#heap.length > 0) {
      const time = this.#heap[0]!;
      const keys = time === this.#cursorTime ? this.#cursorKeys! : this.#keys.get(time)!;
      if (keys.size > 0) return;
      this.#keys.delete(time);
      if (time === this.#lastTime) {
        this.#lastTime = NaN;
        this.#lastKeys = undefined;
      }
      if (time === this.#cursorTime) {
        this.#cursorTime = NaN;
        this.#cursor = undefined;
        this.#cursorKeys = undefined;
      }
      this.#pop();
    }
  }

  #push(time: number): void {
    const heap = this.#heap;
    let i = heap.push(time) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= time) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = time;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
