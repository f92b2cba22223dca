/**
 * Migration 12 (`12_lineage`) on a database whose runs were forked and
 * migrated before it (their lineage only in their states' position
 * markers): the lineage columns are backfilled from the markers, on SQLite
 * and on PostgreSQL (where text is escaped as the store escapes it).
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import { Pg } from "weftjs/pg"
import type { Service } from "../../src/SnapshotStore.js"
import type { Crossing, Position } from "../../src/internal/run/position.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { describePg, query, unique } from "../pg/support.js"
import { tempFile } from "../support.js"
import { open } from "./fixtures.js"

const v1 = "order_processing@1.0.0"
const v2 = "order_processing@2.0.0"
const original = "\u0000orig"
const fork = (from: string, step: string): Crossing => ({ kind: "fork", from, step })
const migration = (from: string, to: string, seq: number): Crossing => ({ kind: "migration", from, to, fromStep: "a", toStep: "a", seq })
const marker = (seq: number, lineage: ReadonlyArray<Crossing>) => ({ "~position": { seq, completed: [], lineage } satisfies Position })

/** The runs as a store of migration 11 held them: lineage only in states and checkpoints. */
const writeRuns = (store: Service) =>
  Effect.gen(function*() {
    const claim = { owner: "engine-a", leaseUntil: t0 + 60_000 }
    yield* store.createRun(newRun(original), storedState({}), null)
    yield* store.createRun(newRun("fork-a"), storedState(marker(0, [fork(original, "order/s\u00011")])), null)
    yield* store.createRun(newRun("fork-b", { templateVersion: "2.0.0" }), storedState(marker(0, [migration(v1, v2, 0), fork(original, "order/s2")])), null)
    yield* store.createRun(newRun("fork-of-fork"), storedState(marker(0, [fork(original, "order/s1"), fork("fork-a", "order/s3")])), null)
    // a fork of a run migrated in flight: that migration is the original's, not the fork's
    yield* store.createRun(newRun("fork-c"), storedState(marker(0, [migration(v1, v2, 4), fork(original, "order/s5")])), null)
    for (const [id, lineage] of [["moved", [migration(v1, v2, 1)]], ["fork-moved", [fork(original, "order/s1"), migration(v2, "order_processing@3", 1)]]] as const) {
      const lease = (yield* store.createRun(newRun(id), storedState(id === "fork-moved" ? marker(0, [fork(original, "order/s1")]) : {}), claim))!
      const set = marker(1, lineage)
      yield* store.appendStep(stepRecord(id, 1, { delta: { set: { "~position": { value: set["~position"], writtenAt: t0, expiresAt: null } }, unset: [] } }), lease)
    }
  })

/** What each run's columns read once the migration ran. */
const expectBackfilled = (store: Service) =>
  Effect.gen(function*() {
    const lineage = (id: string) =>
      Effect.map(store.getRun(id), (run) => {
        const r = Option.getOrThrow(run)
        return [r.forkedFrom ?? null, r.forkedAfter ?? null, r.migratedFrom ?? null]
      })
    expect(yield* lineage(original)).toEqual([null, null, null])
    expect(yield* lineage("fork-a")).toEqual([original, "order/s\u00011", null])
    expect(yield* lineage("fork-b")).toEqual([original, "order/s2", v1])
    expect(yield* lineage("fork-of-fork")).toEqual(["fork-a", "order/s3", null])
    expect(yield* lineage("fork-c")).toEqual([original, "order/s5", null])
    expect(yield* lineage("moved")).toEqual([null, null, v1])
    expect(yield* lineage("fork-moved")).toEqual([original, "order/s1", v2])
    const forks = yield* store.list({ forkedFrom: original })
    expect(forks.map((run) => run.runId).sort()).toEqual(["fork-a", "fork-b", "fork-c", "fork-moved"])
  })

describe("migration 12_lineage on SQLite", () => {
  it.scoped("backfills the lineage columns of runs forked and migrated before it", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* Effect.scoped(Effect.flatMap(open(file), ({ store }) => writeRuns(store)))
      // back to migration 11: no lineage columns
      const db = new Database(file)
      db.exec(`DROP INDEX weft_runs_forked_from;
ALTER TABLE weft_runs DROP COLUMN forked_from; ALTER TABLE weft_runs DROP COLUMN forked_after;
ALTER TABLE weft_runs DROP COLUMN migrated_from; DELETE FROM weft_migrations WHERE migration_id = 12`)
      db.close()
      const { store } = yield* open(file)
      yield* expectBackfilled(store)
    }))
})

describePg("migration 12_lineage on PostgreSQL", (scratch) => {
  it.scopedLive("backfills the lineage columns of runs forked and migrated before it, escaped as the store escapes text", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      yield* Effect.scoped(Effect.flatMap(Pg.make({ url: scratch.url, schema }), writeRuns))
      yield* Effect.promise(() =>
        query(
          scratch.url,
          `ALTER TABLE ${schema}.weft_runs DROP COLUMN forked_from, DROP COLUMN forked_after, DROP COLUMN migrated_from;
DELETE FROM ${schema}.weft_migrations WHERE migration_id = 12`
        )
      )
      yield* expectBackfilled(yield* Pg.make({ url: scratch.url, schema }))
    }))
})
