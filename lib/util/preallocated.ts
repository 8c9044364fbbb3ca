/** Past V8's limit for preallocated fast elements, `new Array(n)` makes a slow dictionary array. */
const PREALLOCATE_MAX = 16384;

/**
 * An array for `length` elements that will be filled by index: allocated once at its size instead
 * of grown by `push`, which copies it about ten times on the way to a few thousand elements. Above
 * V8's limit for fast preallocation it starts empty and grows.
 *
 * @example
 * ```ts
 * const out = preallocated<number>(4096);
 * for (let i = 0; i < 4096; i++) out[i] = i;
 * ```
 */
export function preallocated<T>(length: number): T[] {
  return length <= PREALLOCATE_MAX ? new Array<T>(length) : [];
}
