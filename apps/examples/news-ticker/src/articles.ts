/**
 * The articles: Markdown-ish files from a local directory (`# Title`, then paragraphs), read once when the actor
 * starts and served from memory. A file that cannot be read fails the start, loudly, rather than serving a page with
 * holes in it.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ServerBehaviour } from '@cohort/core'

/** One article. */
export interface Article {
  /** The file name without `.md`: the article's address, `/articles/<slug>`. */
  slug: string
  title: string
  paragraphs: string[]
}

/** Parses one article file; the first line must be `# Title`. */
export function parseArticle(slug: string, text: string): Article {
  const [first = '', ...rest] = text.replace(/\r\n/g, '\n').split('\n')
  if (!first.startsWith('# ')) throw new Error(`article ${slug}: the first line must be "# Title"`)
  const paragraphs = rest
    .join('\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '')
  return { slug, title: first.slice(2).trim(), paragraphs }
}

export function articlesBehaviour(): ServerBehaviour<Article[], string> {
  return {
    name: 'articles',
    async init(dir) {
      const files = (await readdir(dir)).filter((f) => /^[a-z0-9-]+\.md$/.test(f)).sort()
      return Promise.all(files.map(async (f) => parseArticle(f.slice(0, -3), await readFile(join(dir, f), 'utf8'))))
    },
    handleCall(request: { type: 'list' } | { type: 'get'; slug: string }, _from, articles) {
      if (request.type === 'list') return { reply: articles, state: articles }
      return { reply: articles.find((a) => a.slug === request.slug) ?? null, state: articles }
    },
  }
}
