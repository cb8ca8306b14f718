import { describe, expect, it } from 'vitest'
import { parseArticle } from './articles.ts'

describe('parseArticle', () => {
  it('takes the title from the first line and joins wrapped lines into paragraphs', () => {
    expect(parseArticle('rates', '# Rates hold\n\nThe bank held\nrates steady.\n\nMarkets shrugged.\n')).toEqual({
      slug: 'rates',
      title: 'Rates hold',
      paragraphs: ['The bank held rates steady.', 'Markets shrugged.'],
    })
  })

  it('names the file whose first line is not a title', () => {
    expect(() => parseArticle('oops', 'no title here')).toThrow('article oops: the first line must be "# Title"')
  })
})
