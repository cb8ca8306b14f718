/**
 * A stock quote and the feed's wire format: one JSON text frame per tick, `{"quotes":[{"symbol","price","at"}]}`.
 * The ticker parses every frame strictly, so a corrupt feed makes it crash (and restart) instead of showing garbage.
 */

/** One price of one symbol, stamped by the feed (`at`, ms since the epoch). */
export interface Quote {
  symbol: string
  price: number
  at: number
}

/** Parses one feed frame; throws an Error saying what was wrong with it. */
export function parseQuoteFrame(text: string): Quote[] {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    throw new Error(`corrupt feed frame: not JSON: ${JSON.stringify(text.slice(0, 40))}`)
  }
  const quotes = (frame as { quotes?: unknown } | null)?.quotes
  if (!Array.isArray(quotes)) throw new Error('corrupt feed frame: expected {"quotes": [...]}')
  return quotes.map((q: unknown, i) => {
    const { symbol, price, at } = (q ?? {}) as Record<string, unknown>
    if (typeof symbol !== 'string' || !/^[A-Z.]{1,8}$/.test(symbol)) throw new Error(`corrupt feed frame: quotes[${i}].symbol is not a ticker symbol`)
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) throw new Error(`corrupt feed frame: quotes[${i}].price is not a price`)
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new Error(`corrupt feed frame: quotes[${i}].at is not a time`)
    return { symbol, price, at }
  })
}

/** Encodes one frame as the feed sends it. */
export function encodeQuoteFrame(quotes: readonly Quote[]): string {
  return JSON.stringify({ quotes })
}
