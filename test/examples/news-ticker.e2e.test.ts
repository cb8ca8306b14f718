/**
 * The news example as separate processes: the quote feed (feed-main.js) and the news node (main.js), with the page
 * driven by a real Chromium. The feed is killed and started again, or told to send garbage; the ticker crashes and
 * restarts with backoff while the articles and the visit counter keep serving, with no reload and no 5xx.
 */
import { describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { ExampleProcess } from '../support/example-process.ts'

function startFeed(port = 0): ExampleProcess {
  return new ExampleProcess('news-ticker', 'feed-main', { FEED_PORT: String(port), FEED_INTERVAL_MS: '100' }, { stdin: true })
}

function startNews(feedUrl: string, env: Record<string, string> = {}): ExampleProcess {
  return new ExampleProcess('news-ticker', 'main', {
    COHORT_COOKIE: 'news-example-cookie',
    COHORT_PORT: '0',
    COHORT_PROBE_HOST: '127.0.0.1',
    COHORT_PROBE_PORT: '0',
    COHORT_DRAIN_DELAY_MS: '100',
    COHORT_LOG_LEVEL: 'error',
    FEED_URL: feedUrl,
    HTTP_PORT: '0',
    TICKER_STALE_AFTER_MS: '1000',
    TICKER_REFRESH_MS: '200',
    ...env,
  })
}

async function ready(p: ExampleProcess): Promise<Record<string, string>> {
  return (await p.waitFor((e) => e.type === 'ready')) as unknown as Record<string, string>
}

describe('the news example', () => {
  it('keeps the page serving while the feed is down, marks the quotes stale, and goes live again with no reload', async () => {
    let feed = startFeed()
    const { url: feedUrl, port: feedPort } = await ready(feed)
    const news = startNews(feedUrl!)
    const { http, probes } = await ready(news)
    await news.waitFor((e) => e.type === 'feedUp')

    await using browser = await launchChromium()
    const errors: string[] = []
    browser.context.on('response', (res) => {
      if (res.status() >= 500) errors.push(`${res.status()} ${res.url()}`)
    })
    const page = await browser.context.newPage()
    await page.goto(http!)
    await page.locator('#ticker[data-ticker-status="live"] li[data-symbol="ACME"]').waitFor()
    expect(await page.locator('#articles article h2').allTextContents()).toEqual([
      'Central bank holds rates steady',
      'A new chip plant breaks ground',
      'Harbour strike ends after three days',
    ])
    expect(await page.locator('#visits').textContent()).toBe('1')

    // The feed dies: the ticker crashes and is restarted with backoff, again and again, on its own.
    let mark = news.events.length
    feed.kill('SIGKILL')
    await feed.exited
    await news.waitFor((e) => e.type === 'feedDown', mark)
    const first = await news.waitFor((e) => e.type === 'tickerRestart' && e['attempt'] === 2, mark)
    const second = await news.waitFor((e) => e.type === 'tickerRestart' && e['attempt'] === 3, mark)
    expect(String(first['reason'])).toContain('feed unreachable')
    expect(Number(second['retryInMs'])).toBeGreaterThan(0)

    // The open page turns stale by itself, showing the last quotes with their age.
    await page.locator('#ticker[data-ticker-status="stale"] li[data-symbol="ACME"] .age').waitFor()
    expect(await page.locator('#ticker li[data-symbol="ACME"] .age').textContent()).toMatch(/^stale · \d+ s old$/)
    expect(await page.locator('#ticker .status').textContent()).toContain('the feed is down')
    const staleAcme = await page.locator('#ticker li[data-symbol="ACME"] .price').textContent()

    // A page loaded while the feed is down: complete, counted, stale from the start.
    const freshPage = await browser.context.newPage()
    const response = await freshPage.goto(http!)
    expect(response?.status()).toBe(200)
    expect(await freshPage.locator('#ticker').getAttribute('data-ticker-status')).toBe('stale')
    expect(await freshPage.locator('#articles article').count()).toBe(3)
    expect(await freshPage.locator('#visits').textContent()).toBe('2')
    expect((await fetch(`${probes}/readyz`)).status).toBe(200)

    // The feed returns on the same address: both pages go live again with no reload.
    mark = news.events.length
    feed = startFeed(Number(feedPort))
    await ready(feed)
    await news.waitFor((e) => e.type === 'feedUp', mark)
    await page.locator('#ticker[data-ticker-status="live"] li[data-symbol="ACME"]').waitFor()
    await freshPage.locator('#ticker[data-ticker-status="live"] li[data-symbol="ACME"]').waitFor()
    // The feed starts over from its opening prices, so the live value is a new one.
    await page.waitForFunction(`document.querySelector('#ticker li[data-symbol="ACME"] .price')?.textContent !== ${JSON.stringify(staleAcme)}`)
    expect(errors).toEqual([])

    news.kill('SIGTERM')
    expect(await news.exited).toEqual({ code: 0, signal: null })
  })

  it("shows the ticker as unavailable under the 'unavailable' policy when the feed sends garbage, and only the ticker", async () => {
    const feed = startFeed()
    const { url: feedUrl } = await ready(feed)
    const news = startNews(feedUrl!, { TICKER_POLICY: 'unavailable' })
    const { http, probes } = await ready(news)
    await news.waitFor((e) => e.type === 'feedUp')
    expect((await fetch(`${http}/api/ticker`)).status).toBe(200)

    let mark = news.events.length
    feed.tell('corrupt')
    const crash = await news.waitFor((e) => e.type === 'tickerRestart', mark)
    expect(String(crash['reason'])).toContain('corrupt feed frame: not JSON')
    await news.waitFor((e) => e.type === 'feedDown', mark)
    const ticker = await fetch(`${http}/api/ticker`)
    expect(ticker.status).toBe(503)
    expect(await ticker.json()).toMatchObject({ status: 'unavailable', quotes: [] })
    const front = await fetch(http!)
    expect(front.status).toBe(200)
    const html = await front.text()
    expect(html).toContain('data-ticker-status="unavailable"')
    expect(html).toContain('Central bank holds rates steady')
    expect((await fetch(`${http}/articles/02-chip-plant`)).status).toBe(200)
    const metrics = await (await fetch(`${probes}/metrics`)).text()
    expect(metrics).toMatch(/^cohort_news_ticker_restarts_total [1-9]/m)
    expect(metrics).toMatch(/^cohort_news_feed_connected 0$/m)

    feed.tell('heal')
    await feed.waitFor((e) => e.type === 'heal')
    mark = news.events.length
    await news.waitFor((e) => e.type === 'feedUp', mark)
    // A healed feed: the next poll is live again.
    for (;;) {
      const view = (await (await fetch(`${http}/api/ticker`)).json()) as { status: string }
      if (view.status === 'live') break
    }
    news.kill('SIGTERM')
    expect(await news.exited).toEqual({ code: 0, signal: null })
  })
})
