import { userError, type SubtaskLocation } from '../errors.ts';
import type { Collector } from '../operator/operator.ts';
import type { SourceReader } from '../operator/source.ts';
import type { Flow } from '../channel/channel-writer.ts';
import { specialize } from '../util/specialize.ts';
import type { JsonValue } from '../util/json.ts';

/** Counts what a source emits on the way into its chain; copied per actor (see specialize). */
const countThenCollect =
  (counts: { recordsIn: number }, head: (record: unknown) => void) =>
  (record: unknown): void => {
    counts.recordsIn++;
    head(record);
  };

/**
 * Reads a source subtask in chunks, between which it checks credit. A reader emits a whole chunk
 * in one `read` call; what it emits after an output stalls is set aside in the chain, so a source
 * holds at most a chunk beyond its credit. A chunk is what the fullest output batch still takes,
 * in records of the size the outputs last measured (the first chunk is one record, before anything
 * was measured): a batch that finds no credit then stalls the source at the end of a read, with
 * little or nothing set aside, and records of a megabyte are read a few at a time.
 */
export class SourceDriver {
  readonly #out: Collector<unknown>;
  readonly #counts: { recordsIn: number };
  #exhausted = false;
  #measured = false;
  /** The reader emitted nothing and waits for its `wakeUp` (see `SourceContext.wakeUp`). */
  #parked = false;
  /** A `wakeUp` came since the current read began. */
  #woken = false;

  constructor(
    private readonly reader: SourceReader<unknown>,
    /** The source operator, blamed when its reader throws. */
    readonly at: SubtaskLocation,
    head: Collector<unknown>,
    counts: { recordsIn: number },
    /** Records per `read` call, as the outputs see them now. */
    private readonly chunk: () => number,
    /** The actor's record time: a source's records have none (a `withTimestamps` stage gives them one). */
    private readonly time: { timestamp: number },
  ) {
    // A copy per actor (see specialize), as every record of the source passes through it.
    const collect = specialize(countThenCollect, counts, head.collect);
    this.#out = { collect, collectAll: (records) => head.collectAll(records) };
    this.#counts = counts;
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** True while the reader has nothing to read and waits for its wake-up. */
  get parked(): boolean {
    return this.#parked;
  }

  /** The reader has records again (its `SourceContext.wakeUp`). */
  wakeUp(): void {
    this.#woken = true;
    this.#parked = false;
  }

  /** Reads up to `budget` records, stopping early when an output stalls; false once the source is exhausted. */
  read(budget: number, flow: Flow): boolean {
    this.time.timestamp = NaN;
    for (let read = 0; read < budget && flow.stalled === 0; ) {
      const chunk = this.#measured ? this.chunk() : 1;
      this.#measured = true;
      read += chunk;
      let more: boolean;
      const before = this.#counts.recordsIn;
      this.#woken = false;
      try {
        more = this.reader.read(chunk, this.#out);
      } catch (cause) {
        // Errors of the operators chained after the source come out already named; the reader's own are named here.
        throw userError(cause, { ...this.at, while: 'reading' });
      }
      if (!more) {
        this.#exhausted = true;
        return false;
      }
      if (this.#counts.recordsIn === before && !this.#woken) {
        this.#parked = true;
        return true;
      }
    }
    return true;
  }

  /** Where the reader is: what checkpoint `checkpointId` stores for it. */
  offset(checkpointId?: number): JsonValue {
    try {
      return this.reader.offset(checkpointId);
    } catch (cause) {
      throw userError(cause, { ...this.at, while: 'telling its offset' });
    }
  }

  /** Checkpoint `id`, which holds this reader's offset, completed. */
  checkpointComplete(id: number): void {
    try {
      this.reader.checkpointComplete?.(id);
    } catch (cause) {
      throw userError(cause, { ...this.at, while: 'acknowledging a completed checkpoint' });
    }
  }

  close(): void {
    try {
      this.reader.close?.();
    } catch (cause) {
      throw userError(cause, { ...this.at, while: 'closing' });
    }
  }
}
