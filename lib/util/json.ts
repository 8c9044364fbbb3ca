/** A value that survives `JSON.stringify` → `JSON.parse` unchanged: what `params` may hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Why a value is not plain JSON: where, and what is wrong there (or what it refers back to). */
export type NotJson = { path: string; reason: string } | { path: string; cycleTo: string };

/**
 * Checks that a value is plain JSON and returns the path of the first part that is not, or
 * undefined. A value that contains itself (a cycle) is reported with the path it refers back to.
 */
export function findNonJson(value: unknown, path = 'params', ancestors = new Map<object, string>()): NotJson | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, reason: `is ${value}, which JSON cannot hold` };
  if (typeof value !== 'object') return { path, reason: `is a ${typeof value}` };
  const cycleTo = ancestors.get(value);
  if (cycleTo !== undefined) return { path, cycleTo };
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return { path, reason: `is a ${(value as object).constructor?.name ?? 'non-plain object'}, not a plain object` };
    }
  }
  ancestors.set(value, path);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const bad = findNonJson(value[i], `${path}[${i}]`, ancestors);
        if (bad) return bad;
      }
      return undefined;
    }
    for (const [k, v] of Object.entries(value)) {
      const bad = findNonJson(v, `${path}.${k}`, ancestors);
      if (bad) return bad;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}
