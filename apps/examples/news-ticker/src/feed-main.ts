#!/usr/bin/env node
/**
 * Runs the example's quote feed as its own process. FEED_HOST, FEED_PORT and FEED_INTERVAL_MS set where and how often;
 * typing `corrupt` or `heal` on its standard input turns garbage frames on and off. Prints one JSON `ready` line.
 */
import { createInterface } from 'node:readline'
import { startFeedServer } from './feed-server.ts'

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`feed: invalid ${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}\n`)
    process.exit(1)
  }
  return value
}

const feed = await startFeedServer({
  host: process.env['FEED_HOST'] ?? '127.0.0.1',
  port: integer('FEED_PORT', 9100, 0, 65535),
  intervalMs: integer('FEED_INTERVAL_MS', 500, 10, 60_000),
})
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim()
  if (command === 'corrupt' || command === 'heal') {
    feed.corrupt(command === 'corrupt')
    process.stdout.write(`${JSON.stringify({ type: command })}\n`)
  } else if (command !== '') {
    process.stderr.write(`feed: unknown command ${JSON.stringify(command)} (try corrupt or heal)\n`)
  }
})
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void feed.close().then(() => process.exit(0))
  })
}
process.stdout.write(`${JSON.stringify({ type: 'ready', url: feed.url, port: feed.port })}\n`)
