/**
 * The hashes a replicated map needs: a 32-bit hash of a key (which leaf range of the RangeDigest it falls in) and a
 * 32-bit fingerprint of one version of an entry (what the digest XORs together). Both are FNV-1a over UTF-16 code
 * units finished with murmur3's fmix32, so the top bits that pick a leaf are well spread. Not cryptographic: a peer
 * that lies about hashes only hurts its own catch-up.
 *
 * Hot path: both run on every write.
 */

/** murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return fmix32(h)
}

/**
 * `hashString` of an ASCII key given as its UTF-8 bytes, without making a string of it (a receiver finds the entry of
 * a key it holds by this hash); -1 when a byte is not ASCII, since UTF-16 code units and UTF-8 bytes differ there.
 */
export function hashAsciiBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c >= 0x80) return -1
    h = Math.imul(h ^ c, 0x01000193)
  }
  return fmix32(h)
}

/**
 * `hashString` of the key whose Latin-1 (ISO-8859-1) decoding is `bytes[start, end)`: each byte is one code unit, so
 * the two agree for every byte. A server that receives keys as bytes finds their entries by it without decoding them.
 */
export function hashLatin1Bytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return fmix32(h)
}

const nodeHashes = new Map<string, number>()

let lastNode = ''
let lastNodeHash = hashString('')

/**
 * The hash of a node name, remembered: a cluster has few nodes and every entry names one, and runs of entries (a
 * batch, a writer's own writes) name the same one, so the last is checked before the map.
 */
export function hashNode(node: string): number {
  if (node === lastNode) return lastNodeHash
  let h = nodeHashes.get(node)
  if (h === undefined) {
    h = hashString(node)
    if (nodeHashes.size < 10_000) nodeHashes.set(node, h)
  }
  lastNode = node
  lastNodeHash = h
  return h
}

/**
 * The fingerprint of one version of an entry: equal on every node that holds that version, whatever it has done with
 * it since (an entry that expired keeps its fingerprint). Signed, unlike the key hash: every entry keeps one, and a
 * 32-bit integer of either sign is a small integer in V8 where half the unsigned ones needed a heap box of their own
 * (16 bytes per key). The wire carries it unsigned (`>>> 0`), as it always did.
 */
export function fingerprint(keyHash: number, wall: number, counter: number, node: string, deleted: boolean, expiresAt: number): number {
  // Each field is mixed in with a multiply by a different odd constant (as murmur3 mixes blocks), and one fmix32 at
  // the end spreads the bits: a third of the cost of finishing every field.
  let h = keyHash ^ 0x9e3779b9
  h = Math.imul(h ^ (wall >>> 0), 0xcc9e2d51)
  h = Math.imul(((h << 15) | (h >>> 17)) ^ Math.floor(wall / 0x100000000), 0x1b873593)
  h = Math.imul(((h << 13) | (h >>> 19)) ^ counter, 0xe6546b64)
  h = Math.imul(((h << 15) | (h >>> 17)) ^ hashNode(node), 0x85ebca6b)
  h = Math.imul(((h << 13) | (h >>> 19)) ^ (deleted ? 0x5bd1e995 : 0) ^ (expiresAt >>> 0), 0xc2b2ae35)
  h = Math.imul(((h << 15) | (h >>> 17)) ^ Math.floor(expiresAt / 0x100000000), 0xcc9e2d51)
  return fmix32(h) | 0
}
