/**
 * The engine a project gets when its file names none, chosen by the
 * settings: PostgreSQL when `WEFT_DATABASE_URL` is set (`Pg.layerFromSettings`),
 * else the SQLite file `WEFT_DATABASE` (`Sqlite.layerDefault`; memory when
 * persistence is off). The CLI builds no store of its own: these are the
 * public layers of `weftjs/pg` and `weftjs/sqlite`.
 *
 * @internal
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { Console, Effect, Layer, Redacted } from "effect"
import type { Engine } from "../../index.js"
import { Settings } from "../../index.js"
import { Sqlite } from "../../sqlite.js"
import { usage } from "./errors.js"

/** A PostgreSQL URL without its password, to name the server in messages. */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.password = ""
    return parsed.toString()
  } catch {
    return "(a URL that cannot be parsed)"
  }
}

/**
 * The default engine. `readOnly`: the command only reads runs, so a SQLite
 * file that does not exist is refused (exit code 2, naming it) rather than
 * created empty. `verbose`: say on stderr which store is used.
 */
export const defaultEngine = (options: {
  readonly readOnly: boolean
  readonly verbose: boolean
}): Layer.Layer<Engine.Engine, unknown> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const settings = yield* Settings.get
    const say = (text: string) => options.verbose ? Console.error(`weft: ${text}`) : Effect.void
    if (settings.databaseUrl !== undefined) {
      const url = Redacted.value(settings.databaseUrl)
      const { Pg } = yield* Effect.tryPromise({
        try: () => import("../../pg.js"),
        catch: (error) =>
          usage(
            `WEFT_DATABASE_URL is set, and PostgreSQL needs @effect/sql-pg and pg: npm install @effect/sql-pg pg ` +
              `(${error instanceof Error ? error.message : String(error)})`
          )
      })
      yield* say(`store: PostgreSQL at ${describeUrl(url)} (WEFT_DATABASE_URL)`)
      return Pg.layerFromSettings
    }
    if (!settings.statePersistence) {
      yield* say("store: memory (WEFT_STATE_PERSISTENCE=false): nothing is kept after the command")
      return Sqlite.layerDefault
    }
    const file = resolve(settings.database)
    if (options.readOnly && settings.database !== ":memory:" && !existsSync(file)) {
      return yield* usage(
        `no database at ${file} (WEFT_DATABASE): nothing to read there; check the path, ` +
          "or set WEFT_DATABASE_URL for PostgreSQL"
      )
    }
    yield* say(`store: SQLite file ${file}${existsSync(file) ? "" : " (created)"} (WEFT_DATABASE)`)
    return Sqlite.layerDefault
  }))
