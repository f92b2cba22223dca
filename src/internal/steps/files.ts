/**
 * Files for `Steps.read` / `Steps.write`: a path relative to a root folder,
 * refused when it leads out of it (`..`, an absolute path, or a symbolic
 * link anywhere on the way: the real path is checked), formats (JSON,
 * JSON lines, text, or a codec such as `weftjs/yaml`'s), and writes that
 * are atomic (a temporary file in the same folder, then a rename).
 *
 * `node:fs` is imported when a file step first runs.
 *
 * @internal
 */
import { Effect } from "effect"
import { FileFailed } from "../../Errors.js"
import type { Codec, Format } from "../../Steps.js"

export type { Codec, Format }

const json: Codec = {
  parse: (text) => JSON.parse(text) as unknown,
  stringify: (value) => `${JSON.stringify(value, null, 2)}\n`
}

const jsonl: Codec = {
  parse: (text) =>
    text.split("\n").flatMap((line, i) => {
      if (line.trim() === "") return []
      try {
        return [JSON.parse(line) as unknown]
      } catch (error) {
        throw new Error(`line ${i + 1}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }),
  stringify: (value) => {
    if (!Array.isArray(value)) throw new Error("a JSON-lines file is written from a list")
    return value.map((item) => `${JSON.stringify(item)}\n`).join("")
  }
}

const text: Codec = {
  parse: (t) => t,
  stringify: (value) => typeof value === "string" ? value : JSON.stringify(value)
}

/** The codec of a format. */
export const codecOf = (format: Format | Codec): Codec =>
  typeof format === "object" ? format : format === "json" ? json : format === "jsonl" ? jsonl : text

/** The format a path's extension says (`undefined` for YAML, which the core does not parse). */
export const formatOfPath = (path: string): Format | "yaml" => {
  const lower = path.toLowerCase()
  if (lower.endsWith(".json")) return "json"
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl"
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml"
  return "text"
}

const loadFs = Effect.promise(async () => ({ fs: await import("node:fs/promises"), path: await import("node:path") }))

type Operation = FileFailed["operation"]

const errorText = (error: unknown): string => error instanceof Error ? error.message : String(error)

/**
 * The absolute path of `relative` under `root`, checked: lexically inside
 * the root, and its real path (the deepest part that exists, symbolic
 * links followed) inside the root's real path.
 */
const resolveUnder = (step: string, operation: Operation, root: string, relative: string) =>
  Effect.flatMap(loadFs, ({ fs, path }) =>
    Effect.tryPromise({
      try: async () => {
        if (relative.includes("\u0000")) throw new Outside("the path holds U+0000")
        if (path.isAbsolute(relative)) throw new Outside("an absolute path: give a path relative to the root")
        const realRoot = await fs.realpath(root)
        const target = path.resolve(realRoot, relative)
        const inside = (p: string) => p === realRoot || p.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep)
        if (!inside(target)) throw new Outside("it leads out of the root")
        // the deepest part that exists, with its links followed, must be inside too
        let existing = target
        for (;;) {
          try {
            const real = await fs.realpath(existing)
            if (!inside(real)) throw new Outside("a symbolic link leads out of the root")
            break
          } catch (error) {
            if (error instanceof Outside) throw error
            const parent = path.dirname(existing)
            if (parent === existing) break
            existing = parent
          }
        }
        return { target, fs, path }
      },
      catch: (error) =>
        new FileFailed({
          step,
          operation,
          path: relative,
          reason: error instanceof Outside ? "outside-root" : "io",
          detail: error instanceof Outside ? error.message : `the root "${root}" cannot be opened: ${errorText(error)}`
        })
    }))

class Outside extends Error {}

/** Reads and parses a file under a root. */
export const readUnder = (step: string, root: string, relative: string, codec: Codec): Effect.Effect<unknown, FileFailed> =>
  Effect.flatMap(resolveUnder(step, "read", root, relative), ({ fs, target }) =>
    Effect.tryPromise({
      try: () => fs.readFile(target, "utf8"),
      catch: (error) =>
        new FileFailed({
          step,
          operation: "read",
          path: relative,
          reason: (error as { readonly code?: unknown }).code === "ENOENT" ? "not-found" : "io",
          detail: errorText(error)
        })
    }).pipe(Effect.flatMap((content) =>
      Effect.try({
        try: () => codec.parse(content),
        catch: (error) => new FileFailed({ step, operation: "read", path: relative, reason: "parse", detail: errorText(error) })
      })
    )))

/** Writes a value to a file under a root, atomically (a temporary file beside it, then a rename). */
export const writeUnder = (
  step: string,
  root: string,
  relative: string,
  codec: Codec,
  value: unknown
): Effect.Effect<void, FileFailed> =>
  Effect.flatMap(resolveUnder(step, "write", root, relative), ({ fs, path, target }) =>
    Effect.try({
      try: () => codec.stringify(value),
      catch: (error) => new FileFailed({ step, operation: "write", path: relative, reason: "parse", detail: errorText(error) })
    }).pipe(Effect.flatMap((content) =>
      Effect.tryPromise({
        try: async () => {
          await fs.mkdir(path.dirname(target), { recursive: true })
          const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
          try {
            await fs.writeFile(temp, content, { encoding: "utf8", flag: "wx" })
            await fs.rename(temp, target)
          } catch (error) {
            await fs.rm(temp, { force: true }).catch(() => undefined)
            throw error
          }
        },
        catch: (error) => new FileFailed({ step, operation: "write", path: relative, reason: "io", detail: errorText(error) })
      })
    )))
