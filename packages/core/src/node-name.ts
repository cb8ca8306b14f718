/**
 * Node names, the one home of their grammar for every package: `app@host`, like Erlang's long names
 * (`chat@10.0.0.5`). The host part is where the node is reached unless an advertised URL says otherwise; the whole
 * name is the node's identity in pids, in the handshake and in discovery.
 *
 * Interning: one string per node name. msgpackr's native string extraction decodes the strings of a large frame as slices of one
 * combined string, and V8 compares a sliced string with another string (a Map lookup, `===`) on a slow path that costs
 * about five times a flat one. Node names are compared on every remote send (the transport's peer lookup, the
 * runtime's "is it local" check), so a pid decoded from a large frame made every send to it slower: 8 sender actors
 * whose pids arrived in one frame ran at 0.7 of one sender (bench/RESULTS.md, change 14). The codec passes every
 * decoded pid's and ref's node through `internNodeName`, so all pids of a node share one flat string.
 *
 * Hot path: decoding a pid or ref (`internNodeName`).
 * Gotchas: the table is bounded; a flood of made-up names (hostile input) only clears it, and a name that is not in
 * it is still correct, only slower to compare.
 */
import { InvalidOptionError } from './errors.ts'

/** A node name split into its parts. */
export interface NodeName {
  readonly app: string
  readonly host: string
}

/** `app@host`: the app part of letters, digits, `_ . -`; the host a name, an IPv4 or an IPv6 literal (unbracketed). */
const NODE_NAME = /^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.:[\]-]+)$/
/** What discovery puts before the `@`: as the app part, but starting with a letter or digit. */
const BASENAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
/** Longer names are refused: a name travels in every handshake and in the envelope of messages. */
const MAX_NODE_NAME_LENGTH = 255

/** True when `value` is a valid node name. */
export function isNodeName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NODE_NAME_LENGTH && NODE_NAME.test(value)
}

/**
 * Splits `name` into app and host.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) naming `option` when it is not `app@host`
 */
export function parseNodeName(name: unknown, option = 'name'): NodeName {
  const match = typeof name === 'string' && name.length <= MAX_NODE_NAME_LENGTH ? NODE_NAME.exec(name) : null
  if (match === null) throw new InvalidOptionError(option, name, 'a node name like "app@host" (letters, digits, _ . -)')
  return { app: match[1] as string, host: match[2] as string }
}

/** True when `value` can start a node name as its app part (a strategy's `basename`, e.g. `chat`). */
export function isNodeBasename(value: unknown): value is string {
  return typeof value === 'string' && BASENAME.test(value)
}

/** `basename@host`, e.g. `nodeName('chat', '10.0.0.5')` is `chat@10.0.0.5`. */
export function nodeName(basename: string, host: string): string {
  return `${basename}@${host}`
}

/** More distinct node names than any cluster has; past it the table starts over. */
const MAX_NODE_NAMES = 4096

const nodeNames = new Map<string, string>()

/** The one flat string for node name `name` (equal to it). */
export function internNodeName(name: string): string {
  const known = nodeNames.get(name)
  if (known !== undefined) return known
  if (nodeNames.size >= MAX_NODE_NAMES) nodeNames.clear()
  const flat = flatCopy(name)
  nodeNames.set(flat, flat)
  return flat
}

/**
 * A sequential copy of `s`. Concatenation would make a cons string and `slice` another slice; a JSON round trip is
 * exact for every string and runs once per node name.
 */
function flatCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string
}
