/**
 * The positional wire form of a control message for tests that write raw frames: objects with a known `type` go
 * through the transport's own `toWire`; arrays are taken as already positional (hostile tests craft those).
 */
import { toWire } from '../wire/control-validation.ts'
import type { WireControl } from '../wire/transport-control.ts'

export function wireForm(message: unknown): unknown {
  return Array.isArray(message) ? message : toWire(message as WireControl)
}
