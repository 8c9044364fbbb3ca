/**
 * The sender half of a channel's string table.
 *
 * @example
 * ```ts
 * import { StringTable } from './string-table.ts';
 * const t = new StringTable(1024);
 * t.beginBatch();
 * t.beginAttempt();
 * t.intern('AAPL'); // 0, and 'AAPL' is in t.takeNew()
 * ```
 * @module
 */
import { LOCAL_STRING_BASE } from './kinds.ts';

/**
 * Strings longer than this are sent as-is: interning them would pin memory for little
 * gain, since a long string's copy cost dwarfs the per-record overhead interning saves.
 *
 * @example
 * ```ts
 * 'x'.repeat(MAX_INTERNED_LENGTH + 1); // travels in batch.local, every time
 * ```
 */
export const MAX_INTERNED_LENGTH = 64;

/**
 * Interns strings for one channel, bounded: once `max` strings are interned, new strings
 * of the current batch are sent batch-locally and the next batch starts a fresh table
 * (the decoder is told by the batch's `reset` flag), so both ends stay within `max`.
 *
 * @example
 * ```ts
 * const t = new StringTable(2);
 * const reset = t.beginBatch(); // true when the decoder must clear its table
 * ```
 */
export class StringTable {
  /** string → id; read directly by generated encoders to skip a call on hits. */
  readonly map = new Map<string, number>();
  private fresh: string[] = [];
  private local: string[] = [];
  private resetPending = false;

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 0 || max >= LOCAL_STRING_BASE) {
      throw new RangeError(`weir codec: maxInternedStrings must be an integer in 0..${LOCAL_STRING_BASE - 1}`);
    }
  }

  /**
   * Starts a batch; returns whether this batch must tell the decoder to clear its table.
   *
   * @example
   * ```ts
   * const reset = table.beginBatch();
   * ```
   */
  beginBatch(): boolean {
    this.fresh = [];
    if (!this.resetPending) return false;
    this.resetPending = false;
    this.map.clear();
    return true;
  }

  /**
   * Starts an encode attempt: returns the (new) list that batch-local strings go to.
   * Interned strings survive a failed attempt: they are sent anyway, which is harmless.
   *
   * @example
   * ```ts
   * const local = table.beginAttempt();
   * ```
   */
  beginAttempt(): string[] {
    return (this.local = []);
  }

  /**
   * The strings interned since {@link beginBatch}, in id order.
   *
   * @example
   * ```ts
   * const strings = table.takeNew();
   * ```
   */
  takeNew(): string[] {
    return this.fresh;
  }

  /**
   * Called on a table miss: the id of `s`, interning it if it is short and there is room.
   * An arrow function so generated code can call it unbound.
   *
   * @example
   * ```ts
   * const id = table.intern('MSFT');
   * ```
   */
  readonly intern = (s: string): number => {
    if (s.length <= MAX_INTERNED_LENGTH) {
      const hit = this.map.get(s);
      if (hit !== undefined) return hit;
      if (this.map.size < this.max) {
        const id = this.map.size;
        this.map.set(s, id);
        this.fresh.push(s);
        return id;
      }
      if (this.max > 0) this.resetPending = true;
    }
    this.local.push(s);
    return LOCAL_STRING_BASE + this.local.length - 1;
  };

  /**
   * Forgets every string; the next batch carries the reset flag.
   *
   * @example
   * ```ts
   * table.clear();
   * ```
   */
  clear(): void {
    this.map.clear();
    this.fresh = [];
    this.resetPending = true;
  }
}
