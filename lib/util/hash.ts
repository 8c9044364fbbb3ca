/**
 * Stable 32-bit hashes. They must give the same answer in every thread and every run, because
 * the coordinator and the workers compare graph fingerprints, and because key groups (and with
 * them the layout of snapshots) are derived from key hashes.
 */

const scratch = new DataView(new ArrayBuffer(8));

/** murmur3's 32-bit finaliser: spreads the bits of a small integer over the whole word. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised with mix32 so that short keys spread well. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Hash of a number: integers hash by value (so 1 and 1.0 agree), -0 as 0, others by their float64 bits. */
export function hashNumber(n: number): number {
  if ((n | 0) === n) return mix32(n);
  if (n === 0) return mix32(0); // -0
  scratch.setFloat64(0, n);
  return mix32(scratch.getInt32(0) ^ mix32(scratch.getInt32(4)));
}

/** Combines a list of strings into one hex digest (used for graph fingerprints). */
export function digest(parts: readonly string[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const part of parts) {
    a = hashString(part, a);
    b = hashString(part, b ^ 0x5bd1e995);
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
