/**
 * localPorts: several nodes on one machine, one per port, for `pnpm demo`. Every port of the range is a peer named
 * by `localNodeName` (`<basename>-<port>@<host>`), so a node started by the demo on port P computes its own name with
 * the same helper. Ports with no node behind them simply fail to dial and are retried with backoff.
 */
import { InvalidOptionError } from '@cohort/core'
import type { Peer } from '../cluster-node.ts'
import { checkBasename, checkPort, localNodeName, peerUrl } from '../peer-address.ts'
import type { PeerScheme } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'

/** Options of localPorts. */
export interface LocalPortsOptions {
  /** The host every node listens on. @default '127.0.0.1' */
  host?: string
  /** The ports, as a list or an inclusive range `{ from, to }` of at most 1024 ports. */
  ports: readonly number[] | { from: number; to: number }
  /** The basename shared by the demo's nodes, e.g. `chat`. */
  basename: string
  /** @default 'ws' */
  scheme?: PeerScheme
}

/** The defaults of LocalPortsOptions. */
export const DEFAULT_LOCAL_PORTS_OPTIONS: Readonly<{ host: string; scheme: PeerScheme }> = Object.freeze({
  host: '127.0.0.1',
  scheme: 'ws',
})

/**
 * A strategy that reports one peer per port on one host.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad port, range or basename
 * @example localPorts({ ports: { from: 4370, to: 4372 }, basename: 'chat' }) // chat-4370@127.0.0.1 … chat-4372@127.0.0.1
 */
export function localPorts(options: LocalPortsOptions): Strategy {
  const host = options.host ?? DEFAULT_LOCAL_PORTS_OPTIONS.host
  const scheme = options.scheme ?? DEFAULT_LOCAL_PORTS_OPTIONS.scheme
  checkBasename('basename', options.basename)
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', host, 'a host name or IP address')
  let ports: number[]
  if (Array.isArray(options.ports)) {
    ports = [...(options.ports as number[])]
    ports.forEach((p, i) => checkPort(`ports[${i}]`, p))
  } else {
    const range = options.ports as { from: number; to: number } | undefined
    checkPort('ports.from', range?.from)
    checkPort('ports.to', range?.to)
    if (range.to < range.from || range.to - range.from >= 1024) {
      throw new InvalidOptionError('ports', range, 'a range { from, to } with from <= to and at most 1024 ports')
    }
    ports = Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i)
  }
  const peers: Peer[] = [...new Set(ports)].map((port) => ({
    name: localNodeName({ basename: options.basename, host, port }),
    url: peerUrl(host, port, scheme),
  }))
  return {
    name: 'localPorts',
    start(context) {
      context.update({ peers })
      return { stop: () => Promise.resolve() }
    },
  }
}
