/** A value that survives `JSON.stringify` → `JSON.parse` unchanged: what `params` may hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Checks that a value is plain JSON and returns the path of the first part that is not, or undefined. */
export function findNonJson(value: unknown, path = 'params'): { path: string; reason: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, reason: `is ${value}, which JSON cannot hold` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findNonJson(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return { path, reason: `is a ${(value as object).constructor?.name ?? 'non-plain object'}, not a plain object` };
    }
    for (const [k, v] of Object.entries(value)) {
      const bad = findNonJson(v, `${path}.${k}`);
      if (bad) return bad;
    }
    return undefined;
  }
  return { path, reason: `is a ${typeof value}` };
}
