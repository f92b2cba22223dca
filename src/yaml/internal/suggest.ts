/**
 * "Did you mean": the closest of some known names to a misspelt one.
 *
 * @internal
 */

/** The edit distance of two strings (insertions, deletions, substitutions, transpositions). */
export const distance = (a: string, b: string): number => {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > 3) return Math.max(a.length, b.length)
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= a.length; i++) {
    const row: Array<number> = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      row.push(d)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

/** The known name closest to `name` (case-insensitively), if it is close enough to be a typo. */
export const closest = (name: string, known: Iterable<string>): string | undefined => {
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const allowed = name.length <= 3 ? 1 : name.length <= 8 ? 2 : 3
  return best !== undefined && bestDistance <= allowed ? best : undefined
}

/** ` (did you mean "x"?)`, or nothing. */
export const didYouMean = (name: string, known: Iterable<string>): string => {
  const match = closest(name, known)
  return match === undefined ? "" : ` (did you mean "${match}"?)`
}

/**
 * `; "о" is U+043E, not an ASCII character`, or nothing: names the first
 * character outside ASCII of a name, which is how a look-alike (a Cyrillic
 * "о" for a Latin "o") shows.
 */
export const notAscii = (name: string): string => {
  for (const char of name) {
    const code = char.codePointAt(0)!
    if (code > 0x7e) return `; "${char}" is U+${code.toString(16).toUpperCase().padStart(4, "0")}, not an ASCII character`
  }
  return ""
}

/** `"a", "b" and "c"` (at most `max`, then "..."). */
export const listOf = (names: ReadonlyArray<string>, max = 12): string => {
  const quoted = names.slice(0, max).map((n) => `"${n}"`)
  if (names.length > max) return `${quoted.join(", ")}, ...`
  if (quoted.length <= 1) return quoted.join("")
  return `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`
}
