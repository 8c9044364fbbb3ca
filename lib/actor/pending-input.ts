import type { Flow } from '../channel/channel-writer.ts';
import { userError, type SubtaskLocation } from '../errors.ts';
import type { ControlMessage } from '../protocol/messages.ts';

type Item =
  /**
   * Records from `next` on: a batch taken from the mailbox, an array emitted whole, or records set
   * aside one by one (`own`). `done` runs once the last of them has moved on (a mailbox batch
   * returns its slot then).
   */
  | { readonly kind: 'records'; readonly records: readonly unknown[]; next: number; readonly own: boolean; readonly done?: () => void }
  /** The rest of an iterable an operator emitted, pulled only as credit allows; `from` produced it. */
  | { readonly kind: 'iterator'; readonly iterator: Iterator<unknown>; readonly from: SubtaskLocation }
  | { readonly kind: 'signal'; readonly signal: ControlMessage };

/**
 * The input a stage of a chain could not take yet because an output of the actor ran out of credit,
 * in arrival order: the cursor into a batch, the pending iterator of a `flatMap`, records an
 * operator emitted after the stall, and signals (end of stream) that must not overtake them. The
 * actor drains it when credit returns, before it takes new input.
 */
export class PendingInput {
  readonly #items: Item[] = [];

  get empty(): boolean {
    return this.#items.length === 0;
  }

  /** Sets one record aside. */
  record(record: unknown): void {
    const last = this.#items[this.#items.length - 1];
    if (last?.kind === 'records' && last.own) (last.records as unknown[]).push(record);
    else this.#items.push({ kind: 'records', records: [record], next: 0, own: true });
  }

  /** Sets `records[from..]` aside, without copying them; `done` runs once they have all moved on. */
  records(records: readonly unknown[], from: number, done?: () => void): void {
    this.#items.push({ kind: 'records', records, next: from, own: false, ...(done ? { done } : {}) });
  }

  iterator(iterator: Iterator<unknown>, from: SubtaskLocation): void {
    this.#items.push({ kind: 'iterator', iterator, from });
  }

  signal(signal: ControlMessage): void {
    this.#items.push({ kind: 'signal', signal });
  }

  /**
   * Feeds what was set aside to `process` and `handle`, in order, until it is all gone (true) or
   * an output stalls again (false: the rest stays, and the next drain goes on from there).
   */
  drain(flow: Flow, process: (record: unknown) => void, handle: (signal: ControlMessage) => void): boolean {
    const items = this.#items;
    while (items.length > 0) {
      if (flow.stalled !== 0) return false;
      const item = items[0]!;
      switch (item.kind) {
        case 'records': {
          const { records } = item;
          while (item.next < records.length) {
            if (flow.stalled !== 0) return false;
            process(records[item.next++]);
          }
          item.done?.();
          break;
        }
        case 'iterator':
          for (;;) {
            if (flow.stalled !== 0) return false;
            let next: IteratorResult<unknown>;
            try {
              next = item.iterator.next();
            } catch (cause) {
              // The iterable's own code threw (a generator's body): its producer is to blame.
              throw userError(cause, { ...item.from, while: 'producing the records it emitted with collectAll' });
            }
            if (next.done) break;
            process(next.value);
          }
          break;
        case 'signal':
          items.shift();
          handle(item.signal);
          continue;
      }
      items.shift();
    }
    return true;
  }
}
