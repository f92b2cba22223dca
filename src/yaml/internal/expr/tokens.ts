/**
 * The tokens of the expression language: numbers, texts (with escapes),
 * names and punctuation, each with its offsets in the expression's text.
 *
 * @internal
 */

/** One token. */
export interface Token {
  readonly kind: "number" | "string" | "name" | "punct" | "end"
  readonly text: string
  readonly value: string | number
  readonly start: number
  readonly end: number
}

/** A problem in an expression, at offsets of the expression's text. */
export interface Problem {
  readonly start: number
  readonly end: number
  readonly message: string
}

const puncts = [
  "${", "==", "!=", "<=", ">=", "&&", "||", "??", "=>",
  "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "?", "|"
]

const escapes: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "\"": "\"", "'": "'" }

/** Splits `text` into tokens; the first problem stops it. */
export const tokenize = (text: string): { readonly tokens: ReadonlyArray<Token> } | { readonly problem: Problem } => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++
      continue
    }
    const start = i
    if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!
      i += match[0].length
      if (/^[A-Za-z_]/.test(text.slice(i))) {
        return { problem: { start, end: i + 1, message: `"${text.slice(start, i + 1)}" is not a number` } }
      }
      tokens.push({ kind: "number", text: match[0], value: Number(match[0]), start, end: i })
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!
      i += match[0].length
      tokens.push({ kind: "name", text: match[0], value: match[0], start, end: i })
      continue
    }
    if (c === "\"" || c === "'") {
      let value = ""
      i++
      for (;;) {
        if (i >= text.length) return { problem: { start, end: text.length, message: `text started with ${c} is not closed` } }
        const d = text[i]!
        if (d === c) {
          i++
          break
        }
        if (d === "\\") {
          const e = Object.prototype.hasOwnProperty.call(escapes, text[i + 1] ?? "") ? escapes[text[i + 1]!] : undefined
          if (e === undefined) return { problem: { start: i, end: i + 2, message: `unknown escape "\\${text[i + 1] ?? ""}"` } }
          value += e
          i += 2
          continue
        }
        value += d
        i++
      }
      tokens.push({ kind: "string", text: text.slice(start, i), value, start, end: i })
      continue
    }
    const punct = puncts.find((p) => text.startsWith(p, i))
    if (punct === undefined) {
      return { problem: { start, end: start + 1, message: `unexpected character "${c}"` } }
    }
    i += punct.length
    tokens.push({ kind: "punct", text: punct, value: punct, start, end: i })
  }
  tokens.push({ kind: "end", text: "", value: "", start: text.length, end: text.length })
  return { tokens }
}
