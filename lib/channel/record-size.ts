/**
 * An estimate of the memory a record holds, so that batches and buffers can be bounded in bytes.
 * It is a bounded walk: about `MAX_VISITS` values are looked at, the elements of large arrays and
 * objects are extrapolated from a spread sample, nesting costs no stack (records can be thousands of
 * levels deep), and past `MAX_WALK` values the rest is counted at one slot each (so a very deep
 * record is underestimated: such records cannot cross threads anyway). Strings count their length, numbers 8 bytes, objects and arrays a header plus their
 * slots: close to what V8 keeps and to what the codec sends, which is all a bound needs.
 */

const MAX_VISITS = 64;
/** Past this many values (deep nesting), the rest of the walk is counted as one slot per value left. */
const MAX_WALK = 256;
const HEADER = 16;
const SLOT = 8;

/**
 * Estimated bytes of `value`.
 *
 * @example
 * ```ts
 * estimateSize({ symbol: 'AAPL', price: 1.5 }); // 76: a header, two slots, two names, a string, a number
 * estimateSize('x'.repeat(1_000_000));           // 1,000,016
 * ```
 */
export function estimateSize(value: unknown): number {
  let bytes = 0;
  let visits = 0;
  // Each entry: a value and how many times it counts (an extrapolated array element counts for the rest).
  const stack: unknown[] = [value];
  const weights: number[] = [1];
  while (stack.length > 0) {
    if (visits >= MAX_WALK) {
      for (const w of weights) bytes += w * SLOT;
      break;
    }
    const v = stack.pop();
    const weight = weights.pop()!;
    visits++;
    switch (typeof v) {
      case 'string':
        bytes += weight * (HEADER + v.length);
        continue;
      case 'object':
        break;
      default:
        bytes += weight * SLOT;
        continue;
    }
    if (v === null) {
      bytes += weight * SLOT;
      continue;
    }
    if (ArrayBuffer.isView(v)) {
      bytes += weight * (HEADER + v.byteLength);
      continue;
    }
    if (v instanceof ArrayBuffer) {
      bytes += weight * (HEADER + v.byteLength);
      continue;
    }
    const items: readonly unknown[] = Array.isArray(v) ? v : v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
    bytes += weight * (HEADER + SLOT * items.length);
    if (items.length === 0) continue;
    // Look at as many items as the remaining budget allows, spread over the whole array, and let
    // each stand for its share of the rest.
    const budget = Math.max(1, Math.min(items.length, MAX_VISITS - visits - stack.length));
    const step = items.length / budget;
    for (let i = 0; i < budget; i++) {
      stack.push(items[Math.floor(i * step)]);
      weights.push(weight * step);
    }
    if (!Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set)) {
      // Property names: V8 keeps them once per shape, the codec once per batch; a few bytes each.
      bytes += weight * SLOT * items.length;
    }
  }
  return Math.round(bytes);
}
