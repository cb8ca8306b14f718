/**
 * One string per node name. msgpackr's native string extraction decodes the strings of a large frame as slices of one
 * combined string, and V8 compares a sliced string with another string (a Map lookup, `===`) on a slow path that costs
 * about five times a flat one. Node names are compared on every remote send (the transport's peer lookup, the
 * runtime's "is it local" check), so a pid decoded from a large frame made every send to it slower: 8 sender actors
 * whose pids arrived in one frame ran at 0.7 of one sender (bench/RESULTS.md, change 14). The codec passes every
 * decoded pid's and ref's node through `internNodeName`, so all pids of a node share one flat string.
 *
 * Hot path: decoding a pid or ref.
 * Gotchas: the table is bounded; a flood of made-up names (hostile input) only clears it, and a name that is not in
 * it is still correct, only slower to compare.
 */

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
