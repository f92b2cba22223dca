/**
 * The loader-thread half of `preload.mjs`: records the URL each ESM
 * resolution gives (the outermost hook when registered last, so it sees the
 * final URL after any TypeScript loader's own resolution).
 */
import { appendFileSync } from "node:fs"

let log

export const initialize = (data) => {
  log = data.log
}

export const resolve = async (specifier, context, nextResolve) => {
  const result = await nextResolve(specifier, context)
  appendFileSync(log, JSON.stringify({ kind: "resolve", what: result.url }) + "\n")
  return result
}
