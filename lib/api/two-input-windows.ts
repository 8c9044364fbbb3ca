import type { TimeWindowAssigner } from '../../actors/two-sided-window.ts';
import { errors } from '../errors.ts';
import { displayName } from '../graph/logical-graph.ts';
import type { JsonValue } from '../util/json.ts';
import { POSITION, type StreamPosition } from './data-stream.ts';

/** Any stream, of any record type: what these checks read of it is where it is in the graph. */
export interface Positioned {
  [POSITION](): StreamPosition;
}

/**
 * Checks, as the graph is built, that `assigner` gives windows of time (tumbling, sliding or
 * session: the windows joins and set operations take) and, for event time, that every stream in
 * `streams` has timestamps. `call` names the API call in the error.
 */
export function checkTimeWindows<T>(call: string, assigner: unknown, streams: readonly Positioned[]): TimeWindowAssigner<T> {
  const kind = typeof assigner === 'object' && assigner !== null ? (assigner as { kind?: unknown }).kind : undefined;
  if (kind !== 'tumbling' && kind !== 'sliding' && kind !== 'session') {
    const got = typeof kind === 'string' ? `${kind} windows` : String(assigner);
    throw errors.invalidWindowing(call, `takes windows of time from \`windows\`: tumbling, sliding or session (e.g. windows.tumbling({ seconds: 10 })), got ${got}.`);
  }
  const checked = assigner as TimeWindowAssigner<T>;
  if (checked.time === 'event') for (const stream of streams) checkTimestamps(call, stream, `${kind} windows of event time`);
  return checked;
}

/** Refuses a stream without timestamps where event time is needed (`what`). */
export function checkTimestamps(call: string, stream: Positioned, what: string): void {
  const { graph, edge } = stream[POSITION]();
  if (graph.timed()[edge.from]) return;
  const node = graph.nodes[edge.from]!;
  throw errors.invalidWindowing(
    call,
    `${what} need records with timestamps, and "${displayName(node)}" has none: call withTimestamps((r) => r.ts, { maxOutOfOrderMs }) on it first${what.includes('windows') ? ", or use time: 'processing' in the assigner" : ''}.`,
  );
}

/** A key selector as the API takes it: a function, or an error naming the call. */
export function checkFunction(call: string, fn: unknown, shape: string): void {
  if (typeof fn !== 'function') throw errors.invalidWindowing(call, `needs a function ${shape}, got ${fn === null ? 'null' : typeof fn}.`);
}

/** The user functions of an assigner (a session's gap per record), for the graph fingerprint. */
export const assignerFunctions = (assigner: TimeWindowAssigner<unknown>): Function[] => (assigner.kind === 'session' && typeof assigner.gap === 'function' ? [assigner.gap] : []);

/** The assigner as the fingerprint compares it. */
export const describeAssigner = (assigner: TimeWindowAssigner<unknown>): JsonValue => assigner.describe;
