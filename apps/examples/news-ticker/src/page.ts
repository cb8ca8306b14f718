/**
 * The news page, rendered on the server: articles, the ticker as it is at render time, and the visit count, plus a
 * small script that asks `/api/ticker` every `refreshMs` and redraws only the ticker. Every value that comes from a
 * file or the feed is escaped.
 */
import type { Article } from './articles.ts'
import type { TickerView } from './ticker-view.ts'

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

/** A part of the page that could not be had, with why: the page renders it as unavailable instead of failing. */
export type Part<T> = { ok: true; value: T } | { ok: false; reason: string }

const STYLE = `body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
#ticker{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin-bottom:1.5rem}
#ticker ul{list-style:none;display:flex;gap:1.5rem;padding:0;margin:.25rem 0;flex-wrap:wrap}
#ticker[data-ticker-status=stale]{border-color:#d9a400;background:#fff8e0}
#ticker[data-ticker-status=unavailable]{border-color:#b00;background:#fdeaea}
.age{color:#8a6d00;font-size:.85em}.status{font-size:.85em;color:#555}footer{color:#777;font-size:.85em}`

/** The ticker's inner HTML, the same on the server and (rebuilt by the script) in the page. */
export function renderTicker(view: TickerView): string {
  const items = view.quotes
    .map((q) => {
      const age = view.status === 'stale' ? ` <span class="age">stale · ${Math.round(q.ageMs / 1000)} s old</span>` : ''
      return `<li data-symbol="${escapeHtml(q.symbol)}"><b>${escapeHtml(q.symbol)}</b> <span class="price">${q.price.toFixed(2)}</span>${age}</li>`
    })
    .join('')
  const label = { live: 'Live', stale: 'Stale: showing the last quotes received', unavailable: 'Ticker unavailable' }[view.status]
  const why = view.message === undefined ? '' : ` — ${escapeHtml(view.message)}`
  return `<p class="status">${label}${view.status === 'live' ? '' : why}</p><ul>${items}</ul>`
}

// Runs in the browser: the same markup as renderTicker, from /api/ticker's JSON.
const SCRIPT = (refreshMs: number): string => `
const ticker = document.getElementById('ticker');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
function render(view) {
  const items = view.quotes.map((q) => '<li data-symbol="' + esc(q.symbol) + '"><b>' + esc(q.symbol) + '</b> <span class="price">' +
    q.price.toFixed(2) + '</span>' + (view.status === 'stale' ? ' <span class="age">stale · ' + Math.round(q.ageMs / 1000) + ' s old</span>' : '') + '</li>').join('');
  const label = { live: 'Live', stale: 'Stale: showing the last quotes received', unavailable: 'Ticker unavailable' }[view.status];
  const why = view.message ? ' — ' + esc(view.message) : '';
  ticker.dataset.tickerStatus = view.status;
  ticker.innerHTML = '<p class="status">' + label + (view.status === 'live' ? '' : why) + '</p><ul>' + items + '</ul>';
}
async function refresh() {
  try {
    const res = await fetch('/api/ticker', { cache: 'no-store' });
    render(await res.json());
  } catch (err) {
    render({ status: 'unavailable', quotes: [], message: 'the news server did not answer' });
  }
}
setInterval(refresh, ${refreshMs});
`

/** The front page. */
export function renderFrontPage(parts: { articles: Part<Article[]>; ticker: TickerView; visits: Part<number>; refreshMs: number }): string {
  const articles = parts.articles.ok
    ? parts.articles.value
        .map((a) => `<article><h2><a href="/articles/${escapeHtml(a.slug)}">${escapeHtml(a.title)}</a></h2><p>${escapeHtml(a.paragraphs[0] ?? '')}</p></article>`)
        .join('\n')
    : `<p class="unavailable">Articles are unavailable right now (${escapeHtml(parts.articles.reason)}).</p>`
  const visits = parts.visits.ok ? `Visits: <span id="visits">${parts.visits.value}</span>` : 'Visits: unavailable'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cohort News</title><style>${STYLE}</style></head>
<body><h1>Cohort News</h1>
<section id="ticker" data-ticker-status="${parts.ticker.status}">${renderTicker(parts.ticker)}</section>
<main id="articles">${articles}</main>
<footer>${visits}</footer>
<script>${SCRIPT(parts.refreshMs)}</script>
</body></html>
`
}

/** One article's page. */
export function renderArticlePage(article: Article): string {
  const body = article.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(article.title)} · Cohort News</title><style>${STYLE}</style></head>
<body><p><a href="/">← Cohort News</a></p><h1>${escapeHtml(article.title)}</h1>
${body}
</body></html>
`
}
