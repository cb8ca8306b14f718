/**
 * Redis's glob patterns, for `KEYS` and `SCAN … MATCH`: `*` (any run of bytes), `?` (one byte), `[abc]`, `[^a]`,
 * `[a-z]`, and `\` to take the next byte literally. Matched over keys as latin1 strings (key-codec.ts), so a pattern
 * matches bytes, as Redis's does.
 */

/** True when `key` matches `pattern` (both latin1 strings). */
export function matchesGlob(pattern: string, key: string): boolean {
  return match(pattern, 0, key, 0)
}

function match(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!
    switch (c) {
      case '*': {
        while (p[pi + 1] === '*') pi++
        if (pi + 1 === p.length) return true
        for (let k = si; k <= s.length; k++) if (match(p, pi + 1, s, k)) return true
        return false
      }
      case '?':
        if (si >= s.length) return false
        si++
        pi++
        break
      case '[': {
        if (si >= s.length) return false
        let i = pi + 1
        const negate = p[i] === '^'
        if (negate) i++
        let matched = false
        const ch = s.charCodeAt(si)
        for (; i < p.length && p[i] !== ']'; i++) {
          if (p[i] === '\\' && i + 1 < p.length) {
            i++
            if (p.charCodeAt(i) === ch) matched = true
          } else if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
            let lo = p.charCodeAt(i)
            let hi = p.charCodeAt(i + 2)
            if (lo > hi) [lo, hi] = [hi, lo]
            if (ch >= lo && ch <= hi) matched = true
            i += 2
          } else if (p.charCodeAt(i) === ch) {
            matched = true
          }
        }
        if (negate) matched = !matched
        if (!matched) return false
        si++
        pi = i + 1
        break
      }
      default:
        // A backslash makes the next byte literal.
        if (c === '\\' && pi + 1 < p.length) pi++
        if (si >= s.length || p[pi] !== s[si]) return false
        si++
        pi++
    }
  }
  return si === s.length
}

/** The literal bytes every match starts with (up to the first special character), to narrow the keys scanned. */
export function literalPrefix(pattern: string): string {
  let prefix = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*' || c === '?' || c === '[') break
    if (c === '\\') {
      if (i + 1 < pattern.length) prefix += pattern[++i]
      continue
    }
    prefix += c
  }
  return prefix
}
