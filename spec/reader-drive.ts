/**
 * Drives a source reader in a spec as weir's source driver does: `read` in chunks, and when a read
 * emits nothing, wait for the reader's `wakeUp` (no sleeps: the reader's own callbacks resume it).
 */
import type { JsonValue, Source, SourceReader } from 'weir';
import { sourceContext, watchdog } from './helpers.ts';

export class ReaderDrive<T> {
  readonly records: T[] = [];
  readonly deadLetters: { record: JsonValue; reason: string }[] = [];
  readonly reader: SourceReader<T>;
  #woken = false;
  #resume: (() => void) | undefined;
  #exhausted = false;

  constructor(source: Source<T>, subtaskIndex = 0, parallelism = 1, offset?: JsonValue) {
    const context = sourceContext({
      subtaskIndex,
      parallelism,
      wakeUp: () => {
        this.#woken = true;
        this.#resume?.();
      },
      deadLetter: (record, reason) => void this.deadLetters.push({ record, reason }),
    });
    this.reader = source.open(context);
    if (offset !== undefined) this.reader.seek(offset);
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** Reads until `done(records)` holds or the reader ends. */
  async until(done: (records: readonly T[]) => boolean, what: string): Promise<void> {
    await watchdog(this.#loop(done), what, 30_000);
  }

  /** Waits for the reader's next `wakeUp` (an acknowledgement finished, say), then reads once. */
  async nextWakeUp(what: string): Promise<void> {
    if (!this.#woken) await watchdog(new Promise<void>((resolve) => (this.#resume = resolve)), what, 30_000);
    this.#woken = false;
  }

  /** One read, now: false once the reader ended. */
  readOnce(): boolean {
    this.#woken = false;
    const more = this.reader.read(64, { collect: (r) => void this.records.push(r), collectAll: (rs) => void this.records.push(...rs) });
    if (!more) this.#exhausted = true;
    return more;
  }

  async #loop(done: (records: readonly T[]) => boolean): Promise<void> {
    while (!done(this.records) && !this.#exhausted) {
      this.#woken = false;
      const before = this.records.length;
      const more = this.reader.read(64, { collect: (r) => void this.records.push(r), collectAll: (rs) => {
          for (const r of rs) this.records.push(r);
        },
      });
      if (!more) this.#exhausted = true;
      else if (this.records.length === before && !this.#woken) await new Promise<void>((resolve) => (this.#resume = resolve));
      this.#resume = undefined;
    }
  }
}
