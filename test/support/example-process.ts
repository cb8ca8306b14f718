/**
 * Runs one of the compiled examples (`apps/examples/<name>/dist/<entry>.js`) as a child process and follows the JSON
 * events it prints on stdout. Waits are on those events, never on sleeps; the child's stderr log is printed when a
 * test fails, and the child is killed when the test ends if it is still running.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { onTestFailed, onTestFinished } from 'vitest'

export type ExampleEvent = Record<string, unknown> & { type: string }

export class ExampleProcess {
  readonly child: ChildProcess
  readonly events: ExampleEvent[] = []
  readonly log: string[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  #waiters: (() => void)[] = []

  /** Starts `apps/examples/<example>/dist/<entry>.js` with only PATH and `env` in its environment. */
  constructor(example: string, entry: string, env: Record<string, string>, options: { stdin?: boolean } = {}) {
    const file = fileURLToPath(new URL(`../../apps/examples/${example}/dist/${entry}.js`, import.meta.url))
    this.child = spawn(process.execPath, [file], {
      stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', ...env },
    })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })))
    this.exited.then(() => this.#wake(), () => undefined)
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ExampleEvent)
      } catch {
        this.log.push(`stdout: ${line}`)
      }
      this.#wake()
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.log.push(line))
    onTestFailed(() => console.error(`--- log of ${example}/${entry} ---\n${this.log.join('\n')}`))
    onTestFinished(() => this.kill('SIGKILL'))
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }

  /** Resolves with the first event (already seen or still to come) that `match` accepts, after index `from`. */
  async waitFor(match: (e: ExampleEvent) => boolean, from = 0): Promise<ExampleEvent> {
    for (;;) {
      const found = this.events.slice(from).find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the example exited (${this.child.exitCode ?? this.child.signalCode}) while waiting; log:\n${this.log.join('\n')}`)
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Sends one line to the child's stdin (only when started with `stdin: true`). */
  tell(line: string): void {
    this.child.stdin?.write(`${line}\n`)
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}
