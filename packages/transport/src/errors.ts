/**
 * The errors @cohort/transport throws or rejects with.
 * The codes below are this package's own (core's and discovery's are theirs); the README lists each with its meaning.
 */
import { CohortError } from '@cohort/core'

/** The error codes of @cohort/transport. */
export type TransportErrorCode = 'COHORT_ERR_HANDSHAKE_FAILED' | 'COHORT_ERR_MESSAGE_TOO_LARGE' | 'COHORT_ERR_ADDRESS_IN_USE'

/** A connection could not be established: the peer refused our cookie, spoke another version, or timed out. */
export class HandshakeFailedError extends CohortError<TransportErrorCode> {
  override name = 'HandshakeFailedError'
  /** The peer's address, as dialled. */
  readonly url: string
  /** The WebSocket close code that ended the attempt, when there was one. */
  readonly closeCode: number | undefined
  constructor(url: string, detail: string, closeCode: number | undefined, options?: ErrorOptions) {
    super('COHORT_ERR_HANDSHAKE_FAILED', `handshake with ${url} failed: ${detail}`, options)
    this.url = url
    this.closeCode = closeCode
  }
}

/** An encoded message is larger than `maxMessageBytes`; it was not sent and the connection is unaffected. */
export class MessageTooLargeError extends CohortError<TransportErrorCode> {
  override name = 'MessageTooLargeError'
  /** The node the message was for. */
  readonly node: string
  readonly bytes: number
  readonly maxMessageBytes: number
  constructor(node: string, bytes: number, maxMessageBytes: number) {
    super(
      'COHORT_ERR_MESSAGE_TOO_LARGE',
      `message to node ${node} is ${bytes} bytes encoded, over maxMessageBytes (${maxMessageBytes}); ` +
        `send less data per message or raise maxMessageBytes on both nodes`,
    )
    this.node = node
    this.bytes = bytes
    this.maxMessageBytes = maxMessageBytes
  }
}

/** The node could not listen: another node or program already listens on that address and port. */
export class AddressInUseError extends CohortError<TransportErrorCode> {
  override name = 'AddressInUseError'
  readonly host: string
  readonly port: number
  constructor(host: string, port: number, options?: ErrorOptions) {
    super(
      'COHORT_ERR_ADDRESS_IN_USE',
      `cannot listen on ${host}:${port}: another node or program already listens there; choose another port ` +
        '(startNode\'s port, --port or COHORT_PORT), or 0 to pick a free one',
      options,
    )
    this.host = host
    this.port = port
  }
}
