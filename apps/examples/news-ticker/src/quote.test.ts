import { describe, expect, it } from 'vitest'
import { encodeQuoteFrame, parseQuoteFrame } from './quote.ts'

describe('parseQuoteFrame', () => {
  it('reads back what the feed encodes', () => {
    const quotes = [{ symbol: 'ACME', price: 101.25, at: 1_700_000_000_000 }]
    expect(parseQuoteFrame(encodeQuoteFrame(quotes))).toEqual(quotes)
  })

  it('says what is wrong with a corrupt frame', () => {
    expect(() => parseQuoteFrame('%%garbage')).toThrow('corrupt feed frame: not JSON: "%%garbage"')
    expect(() => parseQuoteFrame('{"prices":[]}')).toThrow('corrupt feed frame: expected {"quotes": [...]}')
    expect(() => parseQuoteFrame('{"quotes":[{"symbol":"<b>","price":1,"at":1}]}')).toThrow('quotes[0].symbol is not a ticker symbol')
    expect(() => parseQuoteFrame('{"quotes":[{"symbol":"ACME","price":-1,"at":1}]}')).toThrow('quotes[0].price is not a price')
    expect(() => parseQuoteFrame('{"quotes":[{"symbol":"ACME","price":1}]}')).toThrow('quotes[0].at is not a time')
  })
})
