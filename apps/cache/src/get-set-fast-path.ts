/**
 * The fast path of the two commands that make up most of a cache's traffic: `GET key` and a plain `SET key value`
 * (no options), run straight from the parser's offsets into the received chunk. Nothing is built for them but what is
 * kept: the key as the map's string and, for SET, the value copied once into bytes of its own. Every other command,
 * and these two with anything else (options, another arity), goes through the command table as before; the replies
 * and the effects are the same either way.
 *
 * Hot path: runs for every RESP command a connection sends.
 */
import { Buffer } from 'node:buffer'
import type { CommandSession } from './command-session.ts'
import type { RespParser } from './resp-parser.ts'
import type { RespWriter } from './resp-writer.ts'

/** Values up to this many bytes are copied in a JavaScript loop; larger ones through `Buffer#copy`. */
const LOOP_COPY_BYTES = 64

/**
 * Runs the command the parser just parsed if it is `GET key` or `SET key value` (in any letter case) and writes its
 * reply; returns false, having done nothing, for any other command.
 */
export function runGetOrSet(argc: number, parser: RespParser, session: CommandSession, out: RespWriter): boolean {
  if ((argc !== 2 && argc !== 3) || parser.list !== undefined) return false
  const chunk = parser.chunk
  const at = parser.starts[0]!
  if (parser.ends[0]! - at !== 3) return false
  // ASCII letters differ from their capitals by one bit (0x20): OR-ing it in lowercases them.
  const c0 = chunk[at]! | 0x20
  if ((chunk[at + 1]! | 0x20) !== 0x65 /* 'e' */ || (chunk[at + 2]! | 0x20) !== 0x74 /* 't' */) return false
  const key = chunk.toString('latin1', parser.starts[1], parser.ends[1])
  if (c0 === 0x67 /* 'g' */ && argc === 2) {
    session.commandsProcessed++
    out.bulk(session.map.get(key))
    return true
  }
  if (c0 === 0x73 /* 's' */ && argc === 3) {
    session.commandsProcessed++
    // The stored value owns its bytes: the chunk is the socket's, and a value must not keep a whole chunk alive.
    const start = parser.starts[2]!
    const length = parser.ends[2]! - start
    const value = Buffer.allocUnsafe(length)
    if (length <= LOOP_COPY_BYTES) {
      for (let i = 0; i < length; i++) value[i] = chunk[start + i]!
    } else {
      chunk.copy(value, 0, start, start + length)
    }
    session.map.set(key, value)
    out.ok()
    return true
  }
  return false
}
