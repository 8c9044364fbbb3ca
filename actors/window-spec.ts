import { errors } from '../lib/errors.ts';
import type { OutputTag } from '../lib/operator/output-tag.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { JsonValue } from '../lib/util/json.ts';
import type { WindowAssigner } from '../lib/window/assigners.ts';
import { nonNegativeMillis, type Duration } from '../lib/window/duration.ts';
import { triggers, type Trigger } from '../lib/window/triggers.ts';
import type { Window } from '../lib/window/windows.ts';
import type { WindowFunction } from './window-functions.ts';

/**
 * What the window operator is built from: `keyBy(...).window(assigner)`, then optionally
 * `.trigger(...)`, `.allowedLateness(...)`, `.sideOutputLateData(tag)`, and one of
 * `.reduce / .aggregate / .process`, which gives `fn`.
 *
 * @example
 * ```ts
 * const late = new OutputTag<Trade>('late-trades');
 * const factory = windowOperator<Trade, Candle, string>({
 *   assigner: windows.tumbling({ minutes: 1 }),
 *   allowedLateness: { seconds: 10 },
 *   lateTag: late,
 *   fn: { kind: 'aggregate', create: () => emptyCandle(), add: addTrade, result: (c, symbol, w) => ({ ...c, symbol, start: w.start }) },
 * });
 * ```
 */
export interface WindowOperatorSpec<T, O, K extends Key, W extends Window = Window> {
  readonly assigner: WindowAssigner<T>;
  /** When windows fire; by default at the end of their time (event or processing). Required for `windows.global()`. */
  readonly trigger?: Trigger<T>;
  /**
   * How long after the watermark passes an event-time window it still takes records (each one
   * fires it again, with its updated result). Default 0.
   */
  readonly allowedLateness?: Duration;
  /** Where records too late for every window they belong to go; counted as `lateRecords` either way. */
  readonly lateTag?: OutputTag<T>;
  readonly fn: WindowFunction<T, O, K, W>;
}

/** What `settleWindowing` checked and settled of a spec. */
export interface Windowing<T> {
  readonly trigger: Trigger<T> | undefined;
  readonly lateness: number;
}

/** How errors name the windowing: the API call it comes from. */
const CALL = 'window()';

/**
 * Checks a spec as the graph is built (`windowOperator` calls it, so a bad windowing fails
 * `build()`): every refusal names what to change. Returns the trigger in effect (undefined for
 * count windows, which fire by count) and the lateness in ms.
 */
export function settleWindowing<T, O, K extends Key, W extends Window>(spec: WindowOperatorSpec<T, O, K, W>): Windowing<T> {
  const { assigner, fn } = spec;
  const kinds = ['tumbling', 'sliding', 'session', 'global', 'count'];
  if (typeof assigner !== 'object' || assigner === null || !kinds.includes(assigner.kind)) {
    throw errors.invalidWindowing(CALL, 'needs a window assigner from `windows`, e.g. window(windows.tumbling({ minutes: 1 })).');
  }
  if (typeof fn !== 'object' || fn === null || !['reduce', 'aggregate', 'process'].includes(fn.kind)) {
    throw errors.invalidWindowing(CALL, 'needs a window function: reduce, aggregate or process.');
  }
  if (fn.kind === 'aggregate' && assigner.merging && typeof fn.merge !== 'function') {
    throw errors.invalidWindowing(`${CALL}.aggregate`, 'session windows merge, so the aggregation needs merge(a, b) to combine two accumulators; add merge, or use reduce or process.');
  }
  const lateness = nonNegativeMillis(spec.allowedLateness ?? 0, `${CALL}.allowedLateness`, 'allowedLateness');
  const eventTimeWindows = assigner.time === 'event' && assigner.kind !== 'global' && assigner.kind !== 'count';
  if (!eventTimeWindows && (lateness > 0 || spec.lateTag !== undefined)) {
    throw errors.invalidWindowing(CALL, `allowedLateness and sideOutputLateData apply to event-time windows; ${describeKind(assigner)} never has late records. Remove them.`);
  }
  if (assigner.kind === 'count') {
    if (spec.trigger !== undefined) throw errors.invalidWindowing(CALL, 'count windows fire by count and take no trigger; use windows.global() with your trigger instead.');
    return { trigger: undefined, lateness };
  }
  const trigger = spec.trigger ?? defaultTrigger(assigner);
  if (typeof trigger?.onElement !== 'function') throw errors.invalidWindowing(`${CALL}.trigger`, 'a trigger needs onElement(record, timestamp, window, ctx); see triggers.');
  if (assigner.merging && typeof trigger.onMerge !== 'function') {
    throw errors.invalidWindowing(`${CALL}.trigger`, 'session windows merge, so their trigger needs onMerge(window, mergedStates, ctx) to carry its state and timers to the merged window.');
  }
  return { trigger, lateness };
}

function defaultTrigger<T>(assigner: WindowAssigner<T>): Trigger<T> {
  if (assigner.kind === 'global') {
    throw errors.invalidWindowing(CALL, 'windows.global() never ends, so it needs a trigger: .window(windows.global()).trigger(triggers.count(100)), or a Trigger of your own.');
  }
  return assigner.time === 'event' ? triggers.eventTime() : triggers.processingTime();
}

const describeKind = <T>(assigner: WindowAssigner<T>): string =>
  assigner.kind === 'global' ? 'the global window' : assigner.kind === 'count' ? 'a count window' : 'a processing-time window';

/**
 * The window operator's configuration as the graph fingerprint compares it (JSON): the assigner,
 * the trigger, the lateness, the late tag and the kind of function.
 *
 * @example
 * ```ts
 * describeWindowing({ assigner: windows.tumbling(1000), fn }); // { assigner: { kind: 'tumbling', size: 1000, … }, trigger: null, … }
 * ```
 */
export function describeWindowing<T, O, K extends Key, W extends Window>(spec: WindowOperatorSpec<T, O, K, W>): JsonValue {
  return {
    assigner: spec.assigner.describe,
    trigger: spec.trigger?.describe ?? null,
    allowedLateness: nonNegativeMillis(spec.allowedLateness ?? 0, `${CALL}.allowedLateness`, 'allowedLateness'),
    lateTag: spec.lateTag?.id ?? null,
    fn: spec.fn.kind,
  };
}

/**
 * The user functions of a windowing, whose source text the graph fingerprint compares: a session's
 * `gapOf`, the trigger's hooks and the window function's.
 *
 * @example
 * ```ts
 * this.attach('window', windowOperator(spec), windowingFunctions(spec), { keyedBy, describe: describeWindowing(spec) });
 * ```
 */
export function windowingFunctions<T, O, K extends Key, W extends Window>(spec: WindowOperatorSpec<T, O, K, W>): Function[] {
  const fns: unknown[] = [spec.assigner.kind === 'session' ? spec.assigner.gap : undefined, ...Object.values(spec.trigger ?? {}), ...Object.values(spec.fn)];
  return fns.filter((f): f is Function => typeof f === 'function');
}
