/**
 * A flag that is a number of milliseconds (`--timeout-ms`, `--interval-ms`, `--restart-delay-ms`). Bounded at a day:
 * Node's timers fire a delay past 2^31 - 1 ms (24.8 days) after 1 ms, so `--interval-ms 3000000000` would redraw
 * without pause and a long timeout would give up at once.
 */

/** The largest value a milliseconds flag takes: a day. */
export const MAX_FLAG_MS = 86_400_000

/** `raw` as a whole number of milliseconds from `min` to MAX_FLAG_MS; otherwise an Error naming `--flag` and the value. */
export function millisecondsFlag(flag: string, raw: unknown, min: number): number {
  const ms = Number(raw)
  if (!Number.isInteger(ms) || ms < min || ms > MAX_FLAG_MS) {
    throw new Error(`invalid --${flag} ${String(raw)}: expected a whole number of milliseconds from ${min} to ${MAX_FLAG_MS} (a day)`)
  }
  return ms
}
