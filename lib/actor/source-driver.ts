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
  #exhausted = false;
  #measured = false;

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
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** Reads up to `budget` records, stopping early when an output stalls; false once the source is exhausted. */
  read(budget: number, flow: Flow): boolean {
    this.time.timestamp = NaN;
    for (let read = 0; read < budget && flow.stalled === 0; ) {
      const chunk = this.#measured ? this.chunk() : 1;
      this.#measured = true;
      read += chunk;
      let more: boolean;
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
    }
    return true;
  }

  /** Where the reader is: what a checkpoint stores for it. */
  offset(): JsonValue {
    try {
      return this.reader.offset();
    } catch (cause) {
      throw userError(cause, { ...this.at, while: 'telling its offset' });
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
