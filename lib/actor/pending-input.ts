import type { Flow } from '../channel/channel-writer.ts';
import { userError, type SubtaskLocation } from '../errors.ts';
import type { ControlMessage } from '../protocol/messages.ts';

/**
 * The record being processed, as an actor's chain shares it: its event time (NaN: none), and which
 * input of the head operator it came by (1: the second input of a two-input operator; 0 otherwise).
 */
export interface RecordTime {
  timestamp: number;
  input: 0 | 1;
}

type Item =
  /**
   * Records from `next` on, with their timestamps (`times`, or the one `timestamp` of them all): a
   * batch taken from the mailbox, an array emitted whole, or records set aside one by one (`own`).
   * `done` runs once the last of them has moved on (a mailbox batch returns its slot then).
   */
  | {
      readonly kind: 'records';
      readonly records: readonly unknown[];
      next: number;
      readonly own: boolean;
      readonly times?: ArrayLike<number>;
      readonly timestamp: number;
      readonly input: 0 | 1;
      readonly done?: () => void;
    }
  /** The rest of an iterable an operator emitted, pulled only as credit allows; `from` produced it. */
  | { readonly kind: 'iterator'; readonly iterator: Iterator<unknown>; readonly from: SubtaskLocation; readonly timestamp: number }
  /** A record for a side output, set aside in order with the rest. */
  | { readonly kind: 'side'; readonly route: (record: unknown) => void; readonly record: unknown; readonly timestamp: number }
  | { readonly kind: 'signal'; readonly signal: ControlMessage };

/**
 * The input a stage of a chain could not take yet because an output of the actor ran out of credit,
 * in arrival order: the cursor into a batch, the pending iterator of a `flatMap`, records an
 * operator emitted after the stall, and signals (a watermark, the end of stream) that must not
 * overtake them. Each record keeps its event time. The actor drains it when credit returns, before
 * it takes new input.
 */
export class PendingInput {
  readonly #items: Item[] = [];

  constructor(
    /** The actor's current record time: read when a record is set aside, set when it moves on. */
    private readonly time: RecordTime,
  ) {}

  get empty(): boolean {
    return this.#items.length === 0;
  }

  /** Sets one record aside, with the current record time. */
  record(record: unknown): void {
    const last = this.#items[this.#items.length - 1];
    if (last?.kind === 'records' && last.own) {
      (last.records as unknown[]).push(record);
      (last.times as number[]).push(this.time.timestamp);
    } else {
      this.#items.push({ kind: 'records', records: [record], next: 0, own: true, times: [this.time.timestamp], timestamp: NaN, input: this.time.input });
    }
  }

  /**
   * Sets `records[from..]` aside, without copying them, with their timestamps (or the current record
   * time for all of them); `done` runs once they have all moved on.
   */
  records(records: readonly unknown[], from: number, done?: () => void, times?: ArrayLike<number>): void {
    this.#items.push({
      kind: 'records',
      records,
      next: from,
      own: false,
      timestamp: this.time.timestamp,
      input: this.time.input,
      ...(times ? { times } : {}),
      ...(done ? { done } : {}),
    });
  }

  iterator(iterator: Iterator<unknown>, from: SubtaskLocation): void {
    this.#items.push({ kind: 'iterator', iterator, from, timestamp: this.time.timestamp });
  }

  side(route: (record: unknown) => void, record: unknown): void {
    this.#items.push({ kind: 'side', route, record, timestamp: this.time.timestamp });
  }

  signal(signal: ControlMessage): void {
    this.#items.push({ kind: 'signal', signal });
  }

  /**
   * Feeds what was set aside to `process` and `handle`, in order, until it is all gone (true) or
   * an output stalls again (false: the rest stays, and the next drain goes on from there). `handle`
   * returns false when a signal could not be handled to its end (it fired timers until the flow
   * stalled): the signal stays first, to be handled on from there.
   */
  drain(flow: Flow, process: (record: unknown) => void, handle: (signal: ControlMessage) => boolean): boolean {
    const items = this.#items;
    const time = this.time;
    while (items.length > 0) {
      if (flow.stalled !== 0) return false;
      const item = items[0]!;
      switch (item.kind) {
        case 'records': {
          const { records, times } = item;
          if (times === undefined) time.timestamp = item.timestamp;
          time.input = item.input;
          while (item.next < records.length) {
            if (flow.stalled !== 0) return false;
            if (times !== undefined) time.timestamp = times[item.next]!;
            process(records[item.next++]);
          }
          item.done?.();
          break;
        }
        case 'iterator':
          time.timestamp = item.timestamp;
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
        case 'side':
          time.timestamp = item.timestamp;
          item.route(item.record);
          break;
        case 'signal':
          if (!handle(item.signal)) return false;
          break;
      }
      items.shift();
    }
    return true;
  }
}
