#!/usr/bin/env node
/**
 * Runs the news example as a node process: the only file that touches `process`. Events go to stdout as JSON lines,
 * the log to stderr. The quote feed runs apart: `node dist/feed-main.js`.
 */
import { runNewsNode } from './news-node.ts'

try {
  await runNewsNode({
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    writeEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
  })
} catch (err) {
  process.stderr.write(`news example: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
