import { describe, expect, it } from 'vitest'
import { escapeHtml, renderFrontPage, renderTicker } from './page.ts'

describe('renderTicker', () => {
  it('marks stale quotes with their age and says why', () => {
    const html = renderTicker({ status: 'stale', quotes: [{ symbol: 'ACME', price: 10, ageMs: 4_400 }], message: 'the feed is down' })
    expect(html).toContain('<span class="price">10.00</span> <span class="age">stale · 4 s old</span>')
    expect(html).toContain('Stale: showing the last quotes received — the feed is down')
  })
})

describe('renderFrontPage', () => {
  it('escapes what comes from files and renders a missing part as unavailable', () => {
    const html = renderFrontPage({
      articles: { ok: true, value: [{ slug: 'x', title: '<script>alert(1)</script>', paragraphs: ['a & b'] }] },
      ticker: { status: 'unavailable', quotes: [], message: 'no quotes yet' },
      visits: { ok: false, reason: 'timeout' },
      refreshMs: 1_000,
    })
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('<p>a &amp; b</p>')
    expect(html).toContain('data-ticker-status="unavailable"')
    expect(html).toContain('Visits: unavailable')
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;')
  })
})
