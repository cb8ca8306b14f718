/**
 * The transitive mesh and the tie rule. Visible nodes tell each new peer about every other visible peer (and tell
 * the others about the new one), so a node that joins through one member ends up connected to all. When two nodes
 * dial each other at once, the connection opened by the node with the smaller name wins, on both sides.
 */
import type { PeerAddress } from '../wire/transport-control.ts'

/**
 * True when the connection opened by `opener` should be kept over the one opened by `other` (both linking the same
 * two nodes). Both ends compute the same answer, so exactly one connection survives.
 */
export function openerWins(opener: string, other: string): boolean {
  return opener < other
}

/** The peer list to send `receiver`: every visible connected peer but itself, sorted for stable output. */
export function peerListFor(receiver: string, visible: Iterable<PeerAddress>): PeerAddress[] {
  const list: PeerAddress[] = []
  for (const p of visible) if (p.name !== receiver) list.push({ name: p.name, url: p.url })
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** What a node knows when a peer has proven the cookie, to decide whether to keep the new connection. */
export interface AdmissionInput {
  readonly localName: string
  readonly peerName: string
  readonly peerCreation: number
  /** Which side of the new connection this node is. */
  readonly role: 'client' | 'server'
  /** Creation of the peer on the connection already up to it, if any. */
  readonly liveCreation: number | undefined
  /** This node is dialling the peer on another connection. */
  readonly dialling: boolean
}

/** The decision: refuse the new connection (4005), or keep it and close the others named. */
export interface Admission {
  readonly refuse: boolean
  /** Close the live connection: it belongs to an older incarnation (4013). */
  readonly replaceLive: boolean
  /** Close our own dial: the peer's connection wins the tie (4005). */
  readonly dropDial: boolean
}

const REFUSE: Admission = Object.freeze({ refuse: true, replaceLive: false, dropDial: false })

/**
 * At most one connection per pair of nodes: a second one from the same incarnation is refused; one from a new
 * incarnation (another creation) replaces the old; when both nodes dialled at once, the connection opened by the
 * smaller name wins (the listening side decides, so both ends agree).
 */
export function decideAdmission(i: AdmissionInput): Admission {
  if (i.liveCreation !== undefined && i.liveCreation === i.peerCreation) return REFUSE
  const tie = i.role === 'server' && i.dialling
  if (tie && openerWins(i.localName, i.peerName)) return REFUSE
  return { refuse: false, replaceLive: i.liveCreation !== undefined, dropDial: tie }
}
