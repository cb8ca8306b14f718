/**
 * The fast path of the two commands that make up most of a cache's traffic: `GET key` and a plain `SET key value`
 * (no options), run straight from the parser's offsets into the received chunk. The map finds the key's entry from
 * its bytes (a string of it is made only for a key it does not hold yet), and SET passes a view of the value that
 * the map copies into its own memory. Every other
 * command, and these two with anything else (options, another arity), goes through the command table as before; the
 * replies and the effects are the same either way.
 *
 * Hot path: runs for every RESP command a connection sends.
 */
import type { CommandSession } from './command-session.ts'
import type { RespParser } from './resp-parser.ts'
import type { RespWriter } from './resp-writer.ts'

/**
 * Runs the command the parser just parsed if it is `GET key` or `SET key value` (in any letter case) and writes its
 * reply; returns false, having done nothing, for any other command.
 */
export function runGetOrSet(argc: number, parser: RespParser, session: CommandSession, out: RespWriter): boolean {
  // An unauthenticated connection takes the general path, which refuses it.
  if ((argc !== 2 && argc !== 3) || parser.list !== undefined || !session.authenticated) return false
  const chunk = parser.chunk
  const at = parser.starts[0]!
  if (parser.ends[0]! - at !== 3) return false
  // ASCII letters differ from their capitals by one bit (0x20): OR-ing it in lowercases them.
  const c0 = chunk[at]! | 0x20
  if ((chunk[at + 1]! | 0x20) !== 0x65 /* 'e' */ || (chunk[at + 2]! | 0x20) !== 0x74 /* 't' */) return false
  // While the node is loading, so does GET or SET (asked here, once the name matched: other commands ask once, there).
  if (session.loading()) return false
  if (c0 === 0x67 /* 'g' */ && argc === 2) {
    session.commandsProcessed++
    out.bulk(session.map.getLatin1(chunk, parser.starts[1]!, parser.ends[1]!))
    return true
  }
  if (c0 === 0x73 /* 's' */ && argc === 3) {
    // Over maxmemory, SET takes the general path, which refuses it.
    if (session.overMemory()) return false
    session.commandsProcessed++
    // A view of the chunk: the map copies byte values as it stores them, so the chunk is not kept.
    const value = chunk.subarray(parser.starts[2]!, parser.ends[2]!)
    session.map.setLatin1(chunk, parser.starts[1]!, parser.ends[1]!, value)
    out.ok()
    return true
  }
  return false
}
