/**
 * Entry: one key's current version in a replica (replica-store.ts): its value or where the value's bytes are, the
 * version of the write that made it, its fingerprint in the RangeDigest, and its links in its leaf range's list.
 */
import { leafOf } from './range-digest.ts'
import { NO_BLOCK } from './value-blocks.ts'
import type { BlockHolder } from './value-blocks.ts'

/** The bits of `Entry`'s flags: six booleans in one field, 40 bytes less per key than six fields. */
const DELETED = 1
const LIVE = 2
const PENDING = 4
const HELD = 8
const IN_DIGEST = 16
const AS_BUFFER = 32

/**
 * A clock time (`wall`, `expiresAt`) is stored as its quotient and remainder by this, two small integers for any
 * clock time to come: in milliseconds it is too large for one, and a field that once held such a number gives every
 * entry a 16-byte boxed number of its own, one more object per new key for the collector to copy. (One key set with
 * a TTL was enough for `expiresAt` to box it in every entry, 0 included.)
 */
const TIME_SPLIT = 2 ** 22

/** `n` as a small integer when it is one (arithmetic hands V8 its results boxed); else `n` itself. */
function small(n: number): number {
  return n === (n | 0) ? n | 0 : n
}

/**
 * One key's current version on this node. A map holds one per key, and a new one survives its first collection, so
 * each field costs every key 8 bytes of memory and the collector a copy: its booleans share one field (read and
 * written through the accessors below, which the compiler inlines), and its leaf is computed from its hash.
 */
export class Entry implements BlockHolder {
  readonly key: string
  /**
   * The key's 32-bit hash, kept signed (`keyHash` reads it unsigned, as it is computed and sent): half of the unsigned
   * values are too large for V8's small integers, and each of those was a 16-byte boxed number of its entry's own.
   */
  readonly #keyHash: number
  /** The value, unless its bytes are in a block (`block`, `at`, `length`): read it with the store's `blocks.read`. */
  value: unknown = undefined
  /** The write's clock time (`wall`) in two small integers (TIME_SPLIT). */
  #wallHigh = 0
  #wallLow = 0
  counter = 0
  node = ''
  /** When the value expires (`expiresAt`, 0: never) in two small integers (TIME_SPLIT). */
  #expiresHigh = 0
  #expiresLow = 0
  fp = 0
  /** The shared block its value's bytes are in (`NO_BLOCK` if none), where, and how long (value-blocks.ts). */
  block = NO_BLOCK
  at = 0
  length = 0
  /** The entries of one leaf range form a list, so a range's entries are found without a scan. */
  prev: Entry | undefined = undefined
  next: Entry | undefined = undefined
  #flags = HELD

  constructor(key: string, keyHash: number) {
    this.key = key
    this.#keyHash = keyHash | 0
  }

  /** The key's hash (unsigned 32 bits: key-hash.ts). */
  get keyHash(): number {
    return this.#keyHash >>> 0
  }

  /** True when the key's hash is `keyHash` (unsigned or signed): compared as stored, with no conversion. */
  hasHash(keyHash: number): boolean {
    return this.#keyHash === (keyHash | 0)
  }

  /** The clock time of the write that made this version (ms; the HLC's wall part). */
  get wall(): number {
    return this.#wallHigh * TIME_SPLIT + this.#wallLow
  }

  set wall(ms: number) {
    const high = Math.floor(ms / TIME_SPLIT)
    this.#wallHigh = small(high)
    this.#wallLow = small(ms - high * TIME_SPLIT)
  }

  /** The clock time (ms) at which the value expires; 0 when it never does. */
  get expiresAt(): number {
    return this.#expiresHigh * TIME_SPLIT + this.#expiresLow
  }

  set expiresAt(ms: number) {
    const high = Math.floor(ms / TIME_SPLIT)
    this.#expiresHigh = small(high)
    this.#expiresLow = small(ms - high * TIME_SPLIT)
  }

  /** Its leaf range in the RangeDigest. */
  get leaf(): number {
    return leafOf(this.keyHash)
  }

  /** A tombstone. */
  get deleted(): boolean {
    return (this.#flags & DELETED) !== 0
  }

  set deleted(on: boolean) {
    this.setFlag(DELETED, on)
  }

  /** True while counted in `size`: neither deleted nor seen to expire. */
  get live(): boolean {
    return (this.#flags & LIVE) !== 0
  }

  set live(on: boolean) {
    this.setFlag(LIVE, on)
  }

  /** True while waiting in the DeltaOutbox, so a key changed again before it is sent waits once. */
  get pending(): boolean {
    return (this.#flags & PENDING) !== 0
  }

  set pending(on: boolean) {
    this.setFlag(PENDING, on)
  }

  /** False once collected from the store (an outbox still holding it then leaves it out). */
  get held(): boolean {
    return (this.#flags & HELD) !== 0
  }

  set held(on: boolean) {
    this.setFlag(HELD, on)
  }

  /** True once its fingerprint is in the RangeDigest. */
  get inDigest(): boolean {
    return (this.#flags & IN_DIGEST) !== 0
  }

  set inDigest(on: boolean) {
    this.setFlag(IN_DIGEST, on)
  }

  /** Its value's bytes are read back as a Buffer (else as a plain Uint8Array). */
  get asBuffer(): boolean {
    return (this.#flags & AS_BUFFER) !== 0
  }

  set asBuffer(on: boolean) {
    this.setFlag(AS_BUFFER, on)
  }

  private setFlag(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit
  }
}
