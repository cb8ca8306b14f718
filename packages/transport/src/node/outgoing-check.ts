/**
 * The check that stops a message from changing on its way to another node. msgpack carries plain data only: a
 * function, a class instance, a Promise or a symbol would otherwise arrive as `undefined`, a plain object or `{}`,
 * and a cyclic or very deep value would overflow the encoder's stack. Every user value that leaves the node (a
 * send's message, a call's request, a reply's value, a remote spawn's arguments) is checked before it is encoded, and
 * the caller gets core's NotSerializableError (COHORT_ERR_NOT_SERIALIZABLE) naming the part that cannot cross.
 *
 * Small messages never come here: the walk that bounds their size (size-bound.ts) accepts only shapes the codec
 * carries unchanged, so this runs only for what that walk gave up on (large, deep, or of another type).
 * `startNode({ checkMessages: false })` turns it off.
 */
import { assertSerializable } from '@cohort/core'
import type { ControlMessage } from '@cohort/core/distribution'

/** Throws NotSerializableError when the user value `control` carries would not arrive as it was sent. */
export function checkOutgoing(control: ControlMessage): void {
  switch (control.type) {
    case 'send':
    case 'sendName':
      assertSerializable(control.msg, 'message')
      return
    case 'call':
      assertSerializable(control.request, 'request')
      return
    case 'reply':
      assertSerializable(control.value, 'reply')
      return
    case 'spawnRequest':
      assertSerializable(control.args, 'args')
      return
    default:
      // Links, monitors, exits and downs carry pids and exit reasons the runtime made; an exit reason that cannot be
      // encoded is left to the codec, which never throws out of the node for it (the reason's data crosses).
      return
  }
}
