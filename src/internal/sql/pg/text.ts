/**
 * Text for PostgreSQL's `text` columns, which hold well-formed UTF-8 without
 * U+0000 (NUL): `pg` would turn a lone surrogate into U+FFFD (silently), and
 * the server refuses NUL.
 *
 * Ids and names (run ids, template names, queues, step keys, signal names,
 * owners) are data: weft stores any string a caller gives, NUL included, and
 * reads it back equal, the same on every store. On PostgreSQL they are
 * written escaped with U+0001 as the escape character:
 *
 * | character                 | stored as                        |
 * |---------------------------|----------------------------------|
 * | U+0000                    | U+0001 U+0001                    |
 * | U+0001                    | U+0001 U+0002                    |
 * | a lone surrogate U+D800–U+DFFF | U+0001 U+0003 and its 4 hex digits |
 *
 * The encoding is injective (equality in SQL is equality of the strings) and
 * keeps the order of strings without lone surrogates (so `ORDER BY run_id`
 * and the list cursor agree with the strings' order; the engine refuses run
 * ids with lone surrogates anyway); a string without U+0000, U+0001 or a lone
 * surrogate (all but a hostile few) is stored unchanged. JSON columns need
 * none of this: `JSON.stringify` writes U+0000 and lone surrogates as `\u`
 * escapes.
 *
 * @internal
 */

const escape = "\u0001"

const isPlain = (s: string): boolean => !s.includes("\u0000") && !s.includes(escape) && s.isWellFormed()

/** A string as stored in a `text` column. */
export const encodeText = (s: string): string => {
  if (isPlain(s)) return s
  let out = ""
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    if (unit === 0) {
      out += "\u0001\u0001"
    } else if (unit === 1) {
      out += "\u0001\u0002"
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      out += s[i]! + s[i + 1]!
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += `\u0001\u0003${unit.toString(16)}`
    } else {
      out += s[i]!
    }
  }
  return out
}

const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff

/**
 * A stored string read back. An escape character followed by anything
 * {@link encodeText} does not write (a value written by something else) is
 * kept as it is.
 */
export const decodeText = (s: string): string => {
  if (!s.includes(escape)) return s
  let out = ""
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    const next = s[i + 1]
    if (ch === escape && next === "\u0001") {
      out += "\u0000"
      i++
    } else if (ch === escape && next === "\u0002") {
      out += escape
      i++
    } else if (ch === escape && next === "\u0003" && /^d[89a-f][0-9a-f]{2}$/.test(s.slice(i + 2, i + 6))) {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 6), 16))
      i += 5
    } else {
      out += ch
    }
  }
  return out
}
