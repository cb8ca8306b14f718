/**
 * The Node flags a scenario process passes on to the processes it starts (helpers, chat servers): the transport's
 * recommended ones it was itself started with (the runner decides, `--node-defaults` leaves them out), so a
 * scenario's peer, its baseline's server and socket.io's servers run as the scenario process does.
 */
import { RECOMMENDED_NODE_FLAGS } from '@cohort/transport'

export function inheritedNodeFlags(): string[] {
  return process.execArgv.filter((flag) => RECOMMENDED_NODE_FLAGS.includes(flag))
}
