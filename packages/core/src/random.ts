/**
 * Randomness, injected like the clock so that ids, jitter and backoff are reproducible from a seed in tests.
 * Cryptographic nonces (the transport's handshake) do not use this.
 */

/** Returns a float in [0, 1). */
export type Random = () => number

/** The real source. */
export const systemRandom: Random = () => Math.random()

/** A small deterministic generator (mulberry32) for tests and simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
