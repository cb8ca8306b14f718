/**
 * How hard a cookie is to guess. A node that dials an attacker (a poisoned discovery answer, a forged peer list
 * entry) hands it an HMAC of the cookie over values the attacker chose, and the attacker can then test guesses offline
 * at hundreds of thousands per second per core: a random 5-letter cookie fell in 20 s. The node warns at start when
 * its cookie is weaker than `WEAK_COOKIE_BITS`, and operator tools (`cohort doctor`) can ask the same question.
 *
 * The estimate is deliberately generous to the cookie (length × log2 of the alphabet its character classes span): a
 * word like `secret` scores 28 bits though a dictionary finds it at once, so anything under the bar is surely weak.
 */

/** Below this estimated strength, a cookie is called weak. 32 random bytes (`openssl rand -base64 32`) give 192. */
export const WEAK_COOKIE_BITS = 64

/** An upper estimate of a cookie's entropy in bits, from its length and the character classes it uses. */
export function cookieStrengthBits(cookie: string): number {
  let alphabet = 0
  if (/[a-z]/.test(cookie)) alphabet += 26
  if (/[A-Z]/.test(cookie)) alphabet += 26
  if (/[0-9]/.test(cookie)) alphabet += 10
  if (/[^a-zA-Z0-9]/.test(cookie)) alphabet += 33
  const distinct = new Set(cookie).size
  if (alphabet === 0 || distinct <= 1) return 0
  return Math.floor([...cookie].length * Math.log2(Math.min(alphabet, Math.max(distinct, 2) * 4)))
}

/** True when `cookie` is under WEAK_COOKIE_BITS. */
export function isWeakCookie(cookie: string): boolean {
  return cookieStrengthBits(cookie) < WEAK_COOKIE_BITS
}
