import { errors } from '../errors.ts';

/**
 * A length of time, as windows take it: milliseconds, or an object of parts that add up
 * (`{ minutes: 1, seconds: 30 }` is 90,000 ms). Parts may be negative (an offset of
 * `{ hours: -8 }` aligns days to UTC−8); what the total must be depends on the option.
 *
 * @example
 * ```ts
 * windows.tumbling({ hours: 1 });           // the same as windows.tumbling(3_600_000)
 * windows.sliding({ size: { minutes: 10 }, slide: 60_000 });
 * ```
 */
export type Duration = number | DurationParts;

/** The parts of a `Duration`; at least one must be given. */
export interface DurationParts {
  readonly ms?: number;
  readonly seconds?: number;
  readonly minutes?: number;
  readonly hours?: number;
  readonly days?: number;
}

const UNIT_MS: Readonly<Record<keyof DurationParts, number>> = { ms: 1, seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** The names a `DurationParts` object may hold. */
export const DURATION_PARTS = Object.keys(UNIT_MS) as readonly (keyof DurationParts)[];

/**
 * Whether `value` is written as duration parts (an object with at least one part's name).
 *
 * @example
 * ```ts
 * isDurationParts({ hours: 1 }); // true
 * isDurationParts({ size: 5 });  // false: options, not a duration
 * ```
 */
export const isDurationParts = (value: unknown): value is DurationParts =>
  typeof value === 'object' && value !== null && DURATION_PARTS.some((part) => part in value);

/**
 * `duration` in milliseconds; throws `WEIR_E_OPTION` naming `call` and `option` when it is not a
 * finite number of ms, or an object of finite parts.
 *
 * @example
 * ```ts
 * toMillis({ seconds: 2 }, 'windows.tumbling', 'size'); // 2000
 * toMillis(NaN, 'windows.tumbling', 'size');            // throws: windows.tumbling: size must be a finite number of ms …
 * ```
 */
export function toMillis(duration: Duration, call: string, option: string): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration)) throw errors.invalidWindowOption(call, option, 'a finite number of ms (or { ms, seconds, minutes, hours, days })', duration);
    return duration;
  }
  if (!isDurationParts(duration)) throw errors.invalidWindowOption(call, option, 'a number of ms or { ms, seconds, minutes, hours, days }', duration);
  let total = 0;
  for (const [part, value] of Object.entries(duration)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(UNIT_MS, part)) throw errors.unknownWindowOption(call, `${option}.${part}`, DURATION_PARTS);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw errors.invalidWindowOption(call, `${option}.${part}`, 'a finite number', value);
    total += value * UNIT_MS[part as keyof DurationParts];
  }
  return total;
}

/**
 * A duration that must be a whole number of ms above zero (a size, a slide, a gap); throws
 * `WEIR_E_OPTION` otherwise.
 *
 * @example
 * ```ts
 * positiveMillis({ minutes: 1 }, 'windows.tumbling', 'size'); // 60000
 * positiveMillis(0, 'windows.tumbling', 'size');              // throws: windows.tumbling: size must be > 0 ms, got 0.
 * ```
 */
export function positiveMillis(duration: Duration, call: string, option: string): number {
  const ms = toMillis(duration, call, option);
  if (!(ms > 0)) throw errors.invalidWindowOption(call, option, '> 0 ms', ms);
  if (!Number.isInteger(ms)) throw errors.invalidWindowOption(call, option, 'a whole number of ms', ms);
  return ms;
}

/**
 * A duration that must be a whole number of ms, zero or more (an allowed lateness).
 *
 * @example
 * ```ts
 * nonNegativeMillis({ seconds: 10 }, 'window().allowedLateness', 'allowedLateness'); // 10000
 * ```
 */
export function nonNegativeMillis(duration: Duration, call: string, option: string): number {
  const ms = toMillis(duration, call, option);
  if (!(ms >= 0) || !Number.isInteger(ms)) throw errors.invalidWindowOption(call, option, 'a whole number of ms ≥ 0', ms);
  return ms;
}
