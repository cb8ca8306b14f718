/**
 * Node names: `app@host`, like Erlang's long names (`chat@10.0.0.5`). The host part is where the node is reached
 * unless an explicit advertised URL says otherwise; the transport uses the whole name as the peer's identity.
 */
import { InvalidOptionError } from '@cohort/core'

/** A node name split into its parts. */
export interface NodeName {
  readonly app: string
  readonly host: string
}

// The same grammar as core's `node` option, so every name we accept core accepts too.
const NODE_NAME = /^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.:[\]-]+)$/
const MAX_NAME_LENGTH = 255

/** True when `value` is a valid node name. */
export function isNodeName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME_LENGTH && NODE_NAME.test(value)
}

/**
 * Splits `name` into app and host.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) naming `option` when it is not `app@host`
 */
export function parseNodeName(name: unknown, option = 'name'): NodeName {
  const match = typeof name === 'string' && name.length <= MAX_NAME_LENGTH ? NODE_NAME.exec(name) : null
  if (match === null) throw new InvalidOptionError(option, name, 'a node name like "app@host" (letters, digits, _ . -)')
  return { app: match[1] as string, host: match[2] as string }
}
