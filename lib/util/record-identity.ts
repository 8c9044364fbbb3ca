import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';

/**
 * A record's identity for poison-record detection: a digest of its value, so equal records are the
 * same record. It stays identical across replays whatever the order in which an operator's input
 * channels interleave (a position since the restored checkpoint would not, at parallelism > 1), and
 * it is computed in the worker that holds the value, on the value the operator was given.
 *
 * Cost: a v8 serialization and a SHA-256 per call, a few microseconds for a small record. It runs
 * when a record fails, and per record only at a stage that skips poison records.
 *
 * @example
 * ```ts
 * recordIdentity({ id: 7 }) === recordIdentity({ id: 7 }); // true
 * ```
 */
export function recordIdentity(value: unknown): string {
  const hash = createHash('sha256');
  try {
    hash.update(serialize(value));
  } catch {
    // Not cloneable (a function inside a record that never leaves its chain): its JSON, functions by name.
    hash.update(`json:${textOf(value)}`);
  }
  return hash.digest('base64url').slice(0, 22);
}

const textOf = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'function' ? `[function ${v.name}]` : typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
};
