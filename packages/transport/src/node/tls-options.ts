/**
 * TLS for `wss://` between nodes: the node's certificate and key, and optionally a CA. With a CA set, the node
 * serves only peers that present a certificate the CA signed, and dials only peers whose certificate it signed.
 */
import { InvalidOptionError } from '@cohort/core'

/** Certificates for `wss://`. PEM strings or buffers, as Node's `tls` takes them. */
export interface TlsOptions {
  /** This node's certificate chain (PEM). Presented as server and, when dialling, as client certificate. */
  cert: string | Buffer
  /** The private key of `cert` (PEM). Never logged. */
  key: string | Buffer
  /**
   * Trusted CA(s). When set, peers must present certificates it signed, in both directions.
   * @default undefined (peers dialled are verified against Node's default CAs; clients are not asked for a certificate)
   */
  ca?: string | Buffer | Array<string | Buffer>
}

/** TLS options after validation. */
export interface ResolvedTlsOptions {
  readonly cert: string | Buffer
  readonly key: string | Buffer
  readonly ca: string | Buffer | Array<string | Buffer> | undefined
}

function isPem(value: unknown): value is string | Buffer {
  return (typeof value === 'string' && value.length > 0) || (Buffer.isBuffer(value) && value.length > 0)
}

/** Validates TLS options. @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) */
export function resolveTlsOptions(input: TlsOptions): ResolvedTlsOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('tls', input, 'an object { cert, key, ca? }')
  if (!isPem(input.cert)) throw new InvalidOptionError('tls.cert', input.cert, 'a PEM certificate (string or Buffer)')
  // The key is secret: name the option, describe only its type.
  if (!isPem(input.key)) throw new InvalidOptionError('tls.key', typeof input.key, 'a PEM private key (string or Buffer)')
  const ca = input.ca
  if (ca !== undefined && !isPem(ca) && !(Array.isArray(ca) && ca.length > 0 && ca.every(isPem))) {
    throw new InvalidOptionError('tls.ca', ca, 'a PEM CA certificate or an array of them')
  }
  return Object.freeze({ cert: input.cert, key: input.key, ca })
}

/** Options for `https.createServer`. */
export function serverTlsOptions(tls: ResolvedTlsOptions): Record<string, unknown> {
  return tls.ca === undefined
    ? { cert: tls.cert, key: tls.key }
    : { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true }
}

/** TLS options for dialling a peer with `ws`. */
export function clientTlsOptions(tls: ResolvedTlsOptions | undefined): Record<string, unknown> {
  if (tls === undefined) return {}
  return tls.ca === undefined
    ? { cert: tls.cert, key: tls.key }
    : { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: true }
}
