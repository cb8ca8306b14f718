/**
 * Debian's Chromium driven by playwright-core, for the suites that test a page in a real browser. Nothing is
 * downloaded: the browser is /usr/bin/chromium, started headless with a fresh profile directory that is removed when
 * the browser closes. A missing browser fails with a message naming the package to install.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A browser with its own fresh profile; dispose it to close the browser and remove the profile. */
export interface TestBrowser extends AsyncDisposable {
  readonly context: BrowserContext
  close(): Promise<void>
}

/** `httpCredentials`: what the browser answers a Basic challenge with, as a person typing into its prompt would. */
export async function launchChromium(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package`)
  const profile = mkdtempSync(join(tmpdir(), 'cohort-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, ...options })
  let closing: Promise<void> | undefined
  const browser: TestBrowser = {
    context,
    close() {
      closing ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true }))
      return closing
    },
    [Symbol.asyncDispose]() {
      return browser.close()
    },
  }
  return browser
}
