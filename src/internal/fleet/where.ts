/**
 * The text form of a search condition, shared by the CLI (`--where`) and
 * the HTTP API (`where=`): `key<op>value` with `op` one of `=`, `!=`, `<`,
 * `<=`, `>`, `>=`. A value that reads as a JSON number is a number (compared
 * numerically); one in double quotes is the JSON string it spells (so
 * `orderId="4711"` is text); anything else is the text as given.
 *
 * @internal
 */
import { Either } from "effect"
import type { SearchCondition, SearchValue } from "../../SnapshotStore.js"

const pattern = /^([^<>=!]+?)\s*(<=|>=|!=|=|<|>)\s*(.*)$/s
const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/

/** Parses one condition; the left is a sentence saying what is wrong. */
export const parseWhere = (text: string): Either.Either<SearchCondition, string> => {
  const match = pattern.exec(text.trim())
  if (match === null) {
    return Either.left(
      `expected key<op>value with op one of = != < <= > >= (orderId=4711, amount>100), got ${JSON.stringify(text)}`
    )
  }
  const key = match[1]!.trim()
  const op = match[2] as SearchCondition["op"]
  const raw = match[3]!
  if (key === "") return Either.left(`the condition ${JSON.stringify(text)} names no attribute`)
  let value: SearchValue
  if (number.test(raw) && Number.isFinite(Number(raw))) value = Number(raw)
  else if (raw.length >= 2 && raw.startsWith("\"") && raw.endsWith("\"")) {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (typeof parsed !== "string") throw new Error("not a string")
      value = parsed
    } catch {
      return Either.left(`the value of ${JSON.stringify(text)} is not a valid JSON string`)
    }
  } else value = raw
  if (typeof value === "number" && Object.is(value, -0)) value = 0
  return Either.right({ key, op, value })
}

/** Parses every condition, or says which one is wrong. */
export const parseWheres = (texts: ReadonlyArray<string>): Either.Either<ReadonlyArray<SearchCondition>, string> =>
  Either.all(texts.map(parseWhere))

/**
 * A condition as text (parses back to itself). A text value is quoted when it would read otherwise:
 * empty, padded, a number, quoted, or starting with `=` (`k>` then `=x` would read as `k>=` then `x`).
 */
export const formatWhere = ({ key, op, value }: SearchCondition): string =>
  `${key}${op}${
    typeof value === "number"
      ? String(value)
      : value === "" || value.trim() !== value || number.test(value) || value.startsWith("\"") || value.startsWith("=")
      ? JSON.stringify(value)
      : value
  }`
