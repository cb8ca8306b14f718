/**
 * The cache's password (`CACHE_PASSWORD`): what AUTH, HELLO's AUTH option and the HTTP API's bearer token are checked
 * against. Compared as SHA-256 digests with `timingSafeEqual`, so neither the time a wrong guess takes nor its length
 * tells an attacker how much of it was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export class Password {
  readonly #digest: Buffer

  constructor(secret: string) {
    this.#digest = digest(Buffer.from(secret, 'utf8'))
  }

  /** True when `candidate` (a RESP argument's bytes, or a header's text) is the password. */
  matches(candidate: Uint8Array | string): boolean {
    return timingSafeEqual(this.#digest, digest(typeof candidate === 'string' ? Buffer.from(candidate, 'utf8') : candidate))
  }
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}
