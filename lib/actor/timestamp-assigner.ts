import { errors, userError, WeirError, type SubtaskLocation } from '../errors.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import type { Clock } from '../util/clock.ts';
import type { RecordTime } from './pending-input.ts';
import type { Downstream, StageBody } from './stage.ts';
import { specialize } from '../util/specialize.ts';
import type { WatermarkGenerator } from '../operator/watermarks.ts';

/** Where a `withTimestamps` stage gets its timestamps and watermarks. */
export interface AssignerLink {
  readonly kind: 'assigner';
  readonly at: SubtaskLocation;
  readonly timestampOf: (record: unknown) => number;
  readonly generator: WatermarkGenerator<unknown>;
  /** After this long without a record the stream is idle (it stops holding watermarks back); undefined: never. */
  readonly idleMs: number | undefined;
}

/** Assigns and checks a record's timestamp, then runs it on; copied per stage (see specialize). */
const assign =
  (
    timestampOf: (record: unknown) => number,
    generator: WatermarkGenerator<unknown>,
    next: Downstream,
    time: RecordTime,
    seen: { at: number; records: number; newest: number },
    advance: (watermark: number) => void,
    bad: (record: unknown, value: unknown) => Error,
    blame: (cause: unknown, record: unknown) => Error,
  ) =>
  (record: unknown): void => {
    let ts: number;
    let punctuated: number | undefined | void;
    try {
      ts = timestampOf(record);
      if (typeof ts !== 'number' || ts !== ts || ts === Infinity || ts === -Infinity) throw bad(record, ts);
      punctuated = generator.onEvent(record, ts);
    } catch (cause) {
      throw blame(cause, record);
    }
    time.timestamp = ts;
    seen.records++;
    if (ts > seen.newest) seen.newest = ts;
    // Records run on through a stalled chain to wait in front of its outputs (see Chain); a
    // punctuated watermark that found no credit waits in front of the next stage instead, and the
    // records after it must wait behind it, not overtake it.
    if (next.idle) next.collect(record);
    else next.setAside(record);
    if (punctuated !== undefined) advance(punctuated);
  };

/**
 * The stage of `withTimestamps`: each record's timestamp comes from the user's function (a number
 * that is not finite fails the job, naming the record), and watermarks from the generator, asked
 * every `watermarkIntervalMs` (not per record, unless a punctuated generator returns one from
 * `onEvent`), and only sent when they advance. Watermarks from
 * upstream stop here: this stage decides the stream's event time. A stream with no record for
 * `idleMs` is marked idle downstream, so that it does not hold back other inputs' watermarks; the
 * next record makes it active again.
 */
export function assignerBody(link: AssignerLink, next: Downstream, time: RecordTime, clock: Clock): StageBody {
  const { at, generator, idleMs } = link;
  /** When records were last seen, how many so far (the tick compares counts, not times), and the newest timestamp. */
  const seen = { at: clock.now(), records: 0, newest: -Infinity };
  let counted = 0;
  let emitted = -Infinity;
  let idle = false;
  /** Sends a watermark if it moves event time on (a generator need not keep track). */
  const advance = (watermark: number): void => {
    if (!(watermark > emitted)) return;
    emitted = watermark;
    next.signal({ type: 'watermark', timestamp: watermark });
  };
  const bad = (record: unknown, value: unknown): Error => errors.badTimestamp(at, record, value);
  const process = specialize(assign, link.timestampOf, generator, next, time, seen, advance, bad, (cause: unknown, record: unknown) =>
    cause instanceof WeirError ? cause : userError(cause, at, { value: record }),
  );
  return {
    process,
    collect: process,
    handle(signal: ControlMessage) {
      // Upstream event time does not pass an assigner; the end does (as the final watermark, below it).
      if (signal.type === 'end') next.signal(signal);
      return true;
    },
    eventTime: () => seen.newest,
    /** The periodic look at the generator, and at idleness. */
    processingTime(now: number): boolean {
      if (seen.records !== counted) {
        counted = seen.records;
        seen.at = now;
        idle = false;
      }
      let wm: number | undefined;
      try {
        wm = generator.onPeriodic();
      } catch (cause) {
        throw userError(cause, { ...at, while: 'computing its watermark' });
      }
      if (wm !== undefined && wm > emitted) advance(wm);
      else if (!idle && idleMs !== undefined && now - seen.at >= idleMs) {
        idle = true;
        next.signal({ type: 'idle' });
      }
      return true;
    },
  };
}
