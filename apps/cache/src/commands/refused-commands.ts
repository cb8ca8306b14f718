/**
 * Commands whose meaning cannot be kept under replication, refused with an error that says why instead of being
 * answered wrongly. Every node takes writes and concurrent writes to a key resolve by last writer wins, so:
 * read-modify-write commands (INCR, APPEND, SETRANGE…) would lose updates made at the same time on two nodes;
 * transactions (MULTI, WATCH) cannot be atomic across nodes; RENAME is a delete and a write that another node can
 * interleave with. Other Redis data types (lists, hashes, sets) are not offered and get Redis's unknown-command reply.
 */
import type { CommandSpec } from '../command-table.ts'
import { ALL_KEYS } from '../key-positions.ts'
import type { KeyPositions } from '../key-positions.ts'

const COUNTERS =
  'a counter cannot be kept under last-writer-wins replication: increments made at the same time on two nodes would overwrite each other and one would be lost'
const READ_MODIFY_WRITE =
  'a read-modify-write cannot be kept under last-writer-wins replication: changes made at the same time on two nodes would overwrite each other'
const TRANSACTIONS = 'transactions cannot be atomic across nodes that all take writes'
const RENAME = 'a rename is a delete and a write that writers on other nodes can interleave with, so it cannot be atomic here'

function refuse(name: string, arity: number, reason: string, keys?: KeyPositions): CommandSpec {
  return {
    name,
    arity,
    write: true,
    ...(keys === undefined ? {} : { keys }),
    run: (_args, _s, out) => out.error(`ERR ${name.toUpperCase()} is not supported by the replicated cache: ${reason}`),
  }
}

export const REFUSED_COMMANDS: readonly CommandSpec[] = [
  refuse('incr', 2, COUNTERS),
  refuse('decr', 2, COUNTERS),
  refuse('incrby', 3, COUNTERS),
  refuse('decrby', 3, COUNTERS),
  refuse('incrbyfloat', 3, COUNTERS),
  refuse('append', 3, READ_MODIFY_WRITE),
  refuse('setrange', 4, READ_MODIFY_WRITE),
  refuse('multi', 1, TRANSACTIONS),
  refuse('exec', 1, TRANSACTIONS),
  refuse('discard', 1, TRANSACTIONS),
  refuse('watch', -2, TRANSACTIONS, ALL_KEYS),
  refuse('unwatch', 1, TRANSACTIONS),
  refuse('rename', 3, RENAME, [1, 2, 1]),
  refuse('renamenx', 3, RENAME, [1, 2, 1]),
]
