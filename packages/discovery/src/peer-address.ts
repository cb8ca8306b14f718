/**
 * Peer addresses as discovery builds them: a peer's name from a strategy's `basename` and the host it found
 * (`basename@host`, so a node never announces a name its peers cannot reach), and the URL to dial it at. The node-name
 * grammar itself is @cohort/core's (`isNodeName`, `nodeName`); this adds URLs, which bracket IPv6 literals
 * (`ws://[fd00::5]:4370`) where names do not.
 */
import { isIPv6 } from 'node:net'
import { InvalidOptionError, isNodeBasename, nodeName } from '@cohort/core'

/** `ws` or `wss` (TLS). */
export type PeerScheme = 'ws' | 'wss'

/** Throws InvalidOptionError when `basename` cannot start a node name. */
export function checkBasename(option: string, basename: unknown): asserts basename is string {
  if (!isNodeBasename(basename)) {
    throw new InvalidOptionError(option, basename, 'a basename of letters, digits, "_", "." or "-", e.g. "chat"')
  }
}

/** `host:port` with IPv6 literals bracketed, as URLs and `Host` headers need. */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}

/** The URL peers dial: `peerUrl('fd00::5', 4370)` is `ws://[fd00::5]:4370`. */
export function peerUrl(host: string, port: number, scheme: PeerScheme = 'ws'): string {
  return `${scheme}://${joinHostPort(host, port)}`
}

/**
 * The name of a node started by the local demo on `port`: `<basename>-<port>@<host>`, e.g.
 * `localNodeName({ basename: 'chat', host: '127.0.0.1', port: 4371 })` is `chat-4371@127.0.0.1`. Several nodes share
 * one host there, so the port goes into the name; `localPorts()` reports peers under the same rule.
 */
export function localNodeName(options: { basename: string; host: string; port: number }): string {
  return nodeName(`${options.basename}-${options.port}`, options.host)
}

/** Throws InvalidOptionError unless `port` is an integer in 1..65535. */
export function checkPort(option: string, port: unknown): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidOptionError(option, port, 'an integer port in 1..65535')
  }
}
