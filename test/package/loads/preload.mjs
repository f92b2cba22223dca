/**
 * Preloaded with `node --import` (after any TypeScript loader): records what
 * the process loads, one JSON line per module, in the file named by the
 * `WEFT_LOADS` environment variable:
 *
 * - `resolve`: every ESM resolution (the URL it resolved to), through a
 *   `resolve` hook registered with `module.register` (run in Node's loader
 *   thread, see `hooks.mjs`);
 * - `require`: every CommonJS load (the file `Module._load` resolved), which
 *   the ESM hook does not see (a CommonJS package's own `require` calls);
 * - `dlopen`: every native addon opened (`process.dlopen`, which every
 *   `.node` file goes through).
 */
import { appendFileSync } from "node:fs"
import Module, { register } from "node:module"

const log = process.env.WEFT_LOADS
if (log === undefined) throw new Error("WEFT_LOADS is not set: the file to record loads in")

const record = (kind, what) => appendFileSync(log, JSON.stringify({ kind, what }) + "\n")

register(new URL("./hooks.mjs", import.meta.url), { data: { log } })

const dlopen = process.dlopen
process.dlopen = function(module, filename, ...rest) {
  record("dlopen", String(filename))
  return dlopen.call(this, module, filename, ...rest)
}

const load = Module._load
Module._load = function(request, parent, isMain) {
  let resolved = request
  try {
    resolved = Module._resolveFilename(request, parent, isMain)
  } catch {
    // left to `load` to report
  }
  record("require", resolved)
  return load.apply(this, arguments)
}
