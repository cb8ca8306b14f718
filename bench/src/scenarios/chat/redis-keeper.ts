/**
 * Runs redis-server for the chat scenario's socket.io baseline and stops it when the scenario ends, even when the
 * scenario is killed (its IPC channel closes): redis-server itself cannot know its parent died. Passes redis's output
 * through, so the scenario sees "Ready to accept connections".
 */
import { spawn } from 'node:child_process'

const [server, ...args] = process.argv.slice(2)
const redis = spawn(server!, args, { stdio: ['ignore', 'inherit', 'inherit'] })
const stop = (): void => {
  redis.kill('SIGKILL')
  process.exit(0)
}
process.on('disconnect', stop)
process.on('SIGTERM', stop)
redis.on('exit', (code) => process.exit(code ?? 1))
