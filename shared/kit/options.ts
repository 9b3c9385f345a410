/**
 * Options over defaults where an option given as `undefined` keeps its default. A plain
 * `{ ...defaults, ...options }` lets `{ delayMs: undefined }` erase the default (the `NaN`
 * backoff that once left notifications unretried).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as D & O;
}
