/**
 * A message's id, `<node>~<incarnation>~<sequence>`: unique in the cluster without coordination (the node that
 * stamped it, which incarnation of that node, and its count of messages), and the tie-breaker of the history's order
 * after the stamp.
 */

/** Builds a message id from its parts. */
export function messageId(node: string, incarnation: number, seq: number): string {
  return `${node}~${incarnation}~${seq}`
}

/** An id's parts; an id not made by `messageId` is a node of its own, with incarnation and sequence 0. */
export function partsOfMessageId(id: string): { node: string; incarnation: number; seq: number } {
  // From the end: a node name has no "~" (messageId), so the last two separators are the id's own. No split, no
  // array: this runs for every message a history takes.
  const last = id.lastIndexOf('~')
  const before = last > 0 ? id.lastIndexOf('~', last - 1) : -1
  if (before < 0) return { node: id, incarnation: 0, seq: 0 }
  return { node: id.slice(0, before), incarnation: Number(id.slice(before + 1, last)) || 0, seq: Number(id.slice(last + 1)) || 0 }
}
