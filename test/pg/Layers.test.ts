/**
 * The layers of `weftjs/pg`: the store over the application's own
 * `PgClient`, and the settings that give the server's URL.
 */
import { PgClient } from "@effect/sql-pg"
import { expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { Settings, SnapshotStore as SnapshotStoreOld } from "weftjs"
import { Pg } from "weftjs/pg"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { newRun, storedState } from "../contract/SnapshotStoreContract.js"
import { describePg, unique } from "./support.js"

const withEnv = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" }))

it.effect("WEFT_DATABASE_URL is read as a redacted setting, absent by default", () =>
  Effect.gen(function*() {
    const url = "postgres://weft:secret@db:5432/app"
    const set = yield* Effect.provide(Settings.config, withEnv({ WEFT_DATABASE_URL: url }))
    expect(set.databaseUrl !== undefined && Redacted.value(set.databaseUrl)).toBe(url)
    expect(String(set.databaseUrl)).not.toContain("secret")
    const unset = yield* Effect.provide(Settings.config, withEnv({}))
    expect(unset.databaseUrl).toBeUndefined()
  }))

it.effect("Pg.layerFromSettings without WEFT_DATABASE_URL is a ConfigError naming the variable", () =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(
      Layer.build(Pg.layerFromSettings).pipe(
        Effect.scoped,
        Effect.provide(withEnv({})),
        // TEMPORARY: the engine layer asks for the store until SnapshotStore becomes SnapshotStore
        Effect.provide(SnapshotStoreOld.layerMemory)
      )
    )
    expect(ConfigError.isConfigError(error) && ConfigError.isMissingData(error)).toBe(true)
    expect(String(error)).toContain("WEFT_DATABASE_URL")
  }))

describePg("Pg.layerStoreFromClient", (scratch) => {
  const schema = `s_${unique()}`
  it.scopedLive("a store over the application's own PgClient, in its own schema", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore
      yield* store.createRun(newRun("r1"), storedState({ a: 1 }), null)
      expect(Option.getOrThrow(yield* store.load("r1")).snapshot.entries.a?.value).toBe(1)
      const sql = yield* PgClient.PgClient
      const rows = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM ${sql(schema)}.weft_runs`
      expect(rows[0]?.n).toBe(1)
    }).pipe(
      Effect.provide(
        Layer.unwrapEffect(Effect.sync(() =>
          Layer.provideMerge(Pg.layerStoreFromClient({ schema }), PgClient.layer({ url: Redacted.make(scratch.url) }))
        ))
      )
    ))
})
