/**
 * Tick agreement: two connected nodes use the larger of their two `tickMs`, each announced in the handshake. With
 * different settings (a rolling change of the setting, or a library node beside a `cohort start` node) the node
 * with the shorter tick would otherwise take the other's quieter ticking for silence and drop the connection every
 * few seconds. The larger one is safe for both: each sends ticks often enough for it, and neither gives up sooner.
 */
/** The smallest `tickMs` accepted: below it, a busy event loop would be taken for a dead peer. */
export const MIN_TICK_MS = 100

/** The largest `tickMs` a peer may announce (one hour; the configuration accepts no more either). */
export const MAX_TICK_MS = 3_600_000

/** True for a `tickMs` a peer may announce. */
export function isAnnouncedTick(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_TICK_MS && value <= MAX_TICK_MS
}

/** The `tickMs` a connection uses: the larger of this node's and the peer's (this node's when it announced none). */
export function agreedTickMs(local: number, peer: number | undefined): number {
  return peer === undefined || peer <= local ? local : peer
}
