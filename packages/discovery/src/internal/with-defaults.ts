/**
 * The options a strategy runs with: its defaults, overridden by every option the caller gave a value. An option
 * passed as `undefined` keeps its default, as if it were left out (a spread alone would overwrite it).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  return { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as D & O
}
