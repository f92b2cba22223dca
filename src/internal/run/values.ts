/**
 * What may be stored: encoded values must read back equal from every store,
 * so they must be plain JSON. One walk checks a value and measures it, and
 * refuses, with the path of the offending part, what JSON would change:
 * non-finite numbers and `-0`, `undefined` in arrays (an `undefined` object
 * property is an absent key, as in JSON), Maps,
 * Sets, Dates, BigInts, functions, symbols and other class instances, lone
 * surrogates in strings and keys, cycles, and nesting deeper than
 * {@link maxDepth}.
 *
 * @internal
 */
import type { Issue } from "../../Errors.js"

/** The deepest nesting accepted in a stored value. */
export const maxDepth = 128

/** A value's size in (roughly) JSON characters, or the first problem found. */
export type Checked = { readonly ok: true; readonly size: number } | { readonly ok: false; readonly issue: Issue }

const describe = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value)
  if (typeof value === "bigint") return `the BigInt ${value}n`
  if (typeof value === "function") return "a function"
  if (typeof value === "symbol") return "a symbol"
  if (value instanceof Map) return "a Map"
  if (value instanceof Set) return "a Set"
  if (value instanceof Date) return "a Date"
  const name = (value as { readonly constructor?: { readonly name?: unknown } }).constructor?.name
  return typeof name === "string" && name !== "" ? `an instance of ${name}` : "a non-plain object"
}

const refuse = (path: ReadonlyArray<PropertyKey>, what: string): Checked => ({
  ok: false,
  issue: { path, message: what }
})

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Checks that `value` is plain JSON that reads back equal, and measures it.
 * `path` prefixes the paths of issues (e.g. the state key). Never throws:
 * a getter that throws, or a Proxy, is reported as an issue.
 */
export const checkJson = (value: unknown, path: ReadonlyArray<PropertyKey> = []): Checked => {
  try {
    // a string (the most common value) needs no walk
    if (typeof value === "string" && value.isWellFormed()) return { ok: true, size: value.length + 2 }
    return walk(value, path as Array<PropertyKey>, 0, new Set())
  } catch (error) {
    return refuse(path, `cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const walk = (value: unknown, path: Array<PropertyKey>, depth: number, seen: Set<object>): Checked => {
  switch (typeof value) {
    case "string":
      return value.isWellFormed()
        ? { ok: true, size: value.length + 2 }
        : refuse(path, "is a string with a lone surrogate (not well-formed UTF-16), which cannot be stored")
    case "number":
      if (!Number.isFinite(value)) return refuse(path, `is ${value}, which JSON cannot hold`)
      if (Object.is(value, -0)) return refuse(path, "is -0, which JSON stores as 0")
      return { ok: true, size: 8 }
    case "boolean":
      return { ok: true, size: value ? 4 : 5 }
    case "object": {
      if (value === null) return { ok: true, size: 4 }
      if (depth >= maxDepth) return refuse(path, `is nested deeper than ${maxDepth} levels`)
      if (seen.has(value)) return refuse(path, "refers to itself (a cycle)")
      if (Array.isArray(value)) {
        seen.add(value)
        let size = 2
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return refuse([...path, i], "is a hole in an array, which JSON stores as null")
          path.push(i)
          const item = walk(value[i], path, depth + 1, seen)
          path.pop()
          if (!item.ok) return item
          size += item.size + 1
        }
        seen.delete(value)
        return { ok: true, size }
      }
      if (!isPlainObject(value)) return refuse(path, `is ${describe(value)}, which JSON cannot hold`)
      seen.add(value)
      let size = 2
      for (const key of Object.keys(value)) {
        const item0 = (value as Record<string, unknown>)[key]
        // an absent optional value: JSON leaves the key out, and it reads back absent
        if (item0 === undefined) continue
        if (!key.isWellFormed()) return refuse([...path, key], "is a key with a lone surrogate, which cannot be stored")
        path.push(key)
        const item = walk(item0, path, depth + 1, seen)
        path.pop()
        if (!item.ok) return item
        size += key.length + 4 + item.size
      }
      seen.delete(value)
      return { ok: true, size }
    }
    default:
      return refuse(path, `is ${describe(value)}, which JSON cannot hold`)
  }
}

/**
 * How deep a value nests (arrays and objects), counting at most to `limit`:
 * for refusing hostile inputs before a Schema decoder recurses into them.
 * Never throws.
 */
export const depthExceeds = (value: unknown, limit: number): boolean => {
  try {
    const stack: Array<readonly [unknown, number]> = [[value, 0]]
    let visited = 0
    while (stack.length > 0) {
      const [current, depth] = stack.pop()!
      if (typeof current !== "object" || current === null) continue
      if (depth >= limit) return true
      // a huge flat value is the decoder's business, not a depth problem
      if (++visited > 100_000) return false
      for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1])
    }
    return false
  } catch {
    return false
  }
}
