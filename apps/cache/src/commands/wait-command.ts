/**
 * WAIT numreplicas timeout: blocks the connection until `numreplicas` peers hold every write this node made before
 * it (the replicated map's `replicatedTo`), or until `timeout` ms (0: no limit), and answers how many do. As in
 * Redis, it makes no write conditional: a peer that did not confirm in time may still get the writes.
 *
 * Where it differs from Redis: Redis counts the replicas that acknowledged its replication stream up to this
 * client's last write; the cache counts the peers that hold every write of this node before the WAIT, a later point
 * when other clients wrote meanwhile, so it can only answer lower. Redis answers `WAIT 0 …` with the replicas that
 * already acknowledged; the cache answers 0 at once, since knowing would take a round trip the command asked not to
 * wait for. And with fewer peers than asked for, it answers once every peer it could ask has answered, not at the
 * timeout: no one else can confirm.
 */
import type { CommandSpec } from '../command-table.ts'
import { NOT_AN_INTEGER, parseInteger } from '../command-arguments.ts'
import { NO_KEYS } from '../key-positions.ts'
import type { RespWriter } from '../resp-writer.ts'

export const WAIT_COMMAND: CommandSpec = {
  name: 'wait',
  arity: 3,
  write: false,
  keys: NO_KEYS,
  run(args, s, out) {
    const atLeast = parseInteger(args[1]!)
    if (atLeast === undefined) return out.error(NOT_AN_INTEGER)
    const timeoutMs = parseInteger(args[2]!)
    if (timeoutMs === undefined) return out.error('ERR timeout is not an integer or out of range')
    if (timeoutMs < 0) return out.error('ERR timeout is negative')
    if (atLeast <= 0) return out.integer(0)
    s.blocked = s.map.replicatedTo({ atLeast, timeoutMs: timeoutMs === 0 ? Infinity : timeoutMs }).then(
      (peers) => (o: RespWriter) => o.integer(peers.length),
      // The replica stopped (it is restarted empty): no peer holds its writes on its behalf any more.
      () => (o: RespWriter) => o.integer(0),
    )
  },
}
