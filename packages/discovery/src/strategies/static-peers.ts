/**
 * staticPeers: a fixed list of peers, for tests, single hosts and hand-made clusters. It succeeds once, at start, and
 * never changes. List every node including this one, so that the same list can be given to all of them.
 */
import { InvalidOptionError } from '@cohort/core'
import type { Peer } from '../cluster-node.ts'
import type { Strategy } from '../strategy.ts'

const URL_PATTERN = /^wss?:\/\/[^/\s]+$/

/**
 * A strategy that reports `peers`, unchanged.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) when a peer lacks a `basename@host` name or a ws(s) URL
 * @example staticPeers([{ name: 'chat@10.0.0.5', url: 'ws://10.0.0.5:4370' }])
 */
export function staticPeers(peers: readonly Peer[]): Strategy {
  if (!Array.isArray(peers)) throw new InvalidOptionError('peers', peers, 'an array of { name, url }')
  const list = peers.map((peer, i) => {
    if (typeof peer?.name !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(peer.name)) {
      throw new InvalidOptionError(`peers[${i}].name`, peer?.name, 'a node name "basename@host"')
    }
    if (typeof peer.url !== 'string' || !URL_PATTERN.test(peer.url)) {
      throw new InvalidOptionError(`peers[${i}].url`, peer.url, 'a URL "ws://host:port" or "wss://host:port"')
    }
    return Object.freeze({ name: peer.name, url: peer.url })
  })
  return {
    name: 'staticPeers',
    start(context) {
      context.update({ peers: list })
      return { stop: () => Promise.resolve() }
    },
  }
}
