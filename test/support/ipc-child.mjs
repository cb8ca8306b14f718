/**
 * The child's side of the IPC protocol spawn-node.ts speaks to a node script (node-process.mjs, the reliability
 * suite's reliability-node.mjs): events and replies go up with `send`; each `{ id, command, args }` coming down runs
 * `commands[command](args)` and is answered with `{ type: 'reply', id, ok, value }` or `{ ok: false, error }` naming
 * what failed, so a bad command fails its request, never the node. A parent that goes away takes the child with it.
 */

/** Sends one message to the parent (nothing when run without IPC). */
export const send = (message) => process.send?.(message)

/** Answers the parent's commands from `commands` until the parent disconnects. */
export function serveCommands(commands) {
  process.on('message', async (message) => {
    const { id, command, args } = message
    try {
      const fn = commands[command]
      if (fn === undefined) throw new Error(`unknown command ${command}`)
      const value = await fn(args ?? {})
      send({ type: 'reply', id, ok: true, value: value ?? null })
    } catch (error) {
      send({ type: 'reply', id, ok: false, error: { message: error?.message ?? String(error), code: error?.code } })
    }
  })
  process.on('disconnect', () => process.exit(0))
}
