/**
 * ProtocolError: a peer broke the protocol. Raised by the wire format's readers and by the connection, it never
 * leaves the package: the connection that raised it is closed with `closeCode` and the message is logged as the
 * reason.
 */
import type { CloseCode } from './close-codes.ts'

/** A peer broke the protocol: closes the connection with `closeCode`. */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
  readonly closeCode: CloseCode
  constructor(closeCode: CloseCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.closeCode = closeCode
  }
}
