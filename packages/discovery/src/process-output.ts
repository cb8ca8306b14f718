/**
 * Where a node process writes: log lines on stderr, events on stdout, for a reader (the container runtime, a
 * terminal, the parent that started the node) that can go away while the node runs. Two traps, both met:
 * - Node reports a write to a pipe whose reader has gone as an `'error'` event (EPIPE) on `process.stdout`. With no
 *   listener it ends the process at its next event: a chat node lost its graceful shutdown that way.
 * - pino's default destination writes asynchronously and flushes synchronously when the process exits, and that flush
 *   (sonic-boom 4) retries a write that failed with EPIPE forever, sleeping 100 ms each time: a node that logged two
 *   lines just before `process.exit` never exited, SIGTERM included, and had to be killed with SIGKILL.
 */
import { pino } from 'pino'
import type { DestinationStream } from 'pino'

/**
 * pino's destination for a node's logs: file descriptor `fd` (stderr), each line written when it is logged. Nothing
 * waits in memory at exit, so exit never flushes; a reader that went away stops the logging (pino's own EPIPE
 * handling) and the node runs on. A reader that stops reading without going away holds the writer, as it would an
 * asynchronous one's memory; container runtimes read their pipes as fast as nodes log.
 */
export function logDestination(fd = 2): DestinationStream {
  return pino.destination({ dest: fd, sync: true })
}

/**
 * Keeps `stream` (`process.stdout`) from ending the process when its reader goes away: the first write error is
 * passed to `onClosed` (once) and later writes go nowhere, as Node drops writes to a destroyed stream.
 */
export function tolerateClosedReader(stream: NodeJS.WritableStream, onClosed: (error: Error) => void = () => {}): void {
  let reported = false
  stream.on('error', (error: Error) => {
    if (reported) return
    reported = true
    onClosed(error)
  })
}
