/**
 * A search by attributes is planned on the `weft_search` indexes, and a
 * run-id prefix on the runs' key, on both databases: the statements `list`
 * sends, explained over 20,000 seeded runs (with statistics), must name the
 * index and never scan the runs or the attributes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import pg from "pg"
import { Pg } from "weftjs/pg"
import { searches, seedStatements } from "../../bench/searchSeed.js"
import { listStatement as pgList } from "../../src/internal/sql/pg/list.js"
import { names } from "../../src/internal/sql/pg/sql.js"
import { listStatement as sqliteList } from "../../src/internal/sql/sqlite/list.js"
import type { RunFilter } from "../../src/SnapshotStore.js"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { describePg, unique } from "../pg/support.js"
import { open } from "../sqlite/fixtures.js"
import { tempFile } from "../support.js"

const n = 20_000
const byAttribute: RunFilter = { where: [{ key: "orderId", op: "=", value: 4711 }], limit: 50 }
const byText: RunFilter = { where: [{ key: "customer", op: "=", value: "c42" }], limit: 50 }
const byRange: RunFilter = { where: [{ key: "orderId", op: ">", value: 19_990 }], limit: 50 }
const byPrefix: RunFilter = { runIdPrefix: "run-000471", limit: 50 }

describe("search plans on SQLite", () => {
  it.scoped("attributes on weft_search's indexes, a prefix on the primary key; answers right", () =>
    Effect.gen(function*() {
      const { connection, store } = yield* open(yield* tempFile)
      for (const statement of seedStatements("sqlite", n)) connection.db.exec(statement)
      const plan = (filter: RunFilter) => {
        const [text, params] = sqliteList(connection.client, filter)!.compile()
        return (connection.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...(params as Array<unknown>)) as ReadonlyArray<
          { detail: string }
        >).map((row) => row.detail).join(" | ")
      }
      for (
        const [filter, index] of [
          [byAttribute, "weft_search_num"],
          [byText, "weft_search_text"],
          [byRange, "weft_search_num"]
        ] as const
      ) {
        const explained = plan(filter)
        expect(explained).toContain(`INDEX ${index} (name=? AND value_`)
        // no table scanned (`SCAN r` alone reads the page the co-routine chose)
        expect(explained).toContain("CO-ROUTINE r")
        expect(explained).not.toMatch(/SCAN (s|p|m|weft_runs|weft_search)\b|SCAN r USING/)
      }
      expect(plan(byPrefix)).toMatch(/SEARCH p USING COVERING INDEX sqlite_autoindex_weft_runs_1 \(run_id>\? AND run_id<\?\)/)
      expect(plan(byPrefix)).not.toMatch(/SCAN (s|p|m|weft_runs|weft_search)\b|SCAN r USING/)
      expect((yield* store.list(byAttribute)).map((r) => r.runId)).toEqual(["run-0004711"])
      expect((yield* store.list(byText)).map((r) => r.runId)).toHaveLength(20)
      expect((yield* store.list(byRange)).map((r) => r.runId)).toHaveLength(10)
      expect((yield* store.list(byPrefix)).map((r) => r.runId)).toHaveLength(10)
      for (const search of searches) expect((yield* store.list(search.filter)).length, search.name).toBeGreaterThan(0)
    }), 60_000)
})

/** Runs statements in order on one connection; the rows of the last. */
const session = async (url: string, statements: ReadonlyArray<string>) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    let rows: ReadonlyArray<Record<string, unknown>> = []
    for (const statement of statements) rows = (await client.query(statement)).rows
    return rows
  } finally {
    await client.end()
  }
}

/** A sequential scan of a table other than the steps'. */
const seqScanOfRuns = /Seq Scan on (?!\S*steps\b)/

describePg("search plans on PostgreSQL", (scratch) => {
  const schema = `t_${unique()}`
  it.effect("attributes on weft_search's indexes, a prefix on the text_pattern_ops index; answers right", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore
      yield* Effect.promise(() => session(scratch.url, [`SET search_path = ${schema}`, ...seedStatements("pg", n)]))
      const plan = (filter: RunFilter, mode: "custom" | "generic") =>
        Effect.promise(async () => {
          const [text, params] = pgList(names("weft_", schema), filter)
          const rows = await session(scratch.url, [
            `SET plan_cache_mode = force_${mode}_plan`,
            `PREPARE q AS ${text}`,
            `EXPLAIN EXECUTE q(${params.map((p) => typeof p === "string" ? `'${p}'` : String(p)).join(", ")})`
          ])
          return rows.map((row) => String(row["QUERY PLAN"])).join("\n")
        })
      for (
        const [filter, index] of [
          [byAttribute, "weft_search_num"],
          [byText, "weft_search_text"],
          [byRange, "weft_search_num"],
          [byPrefix, "weft_runs_prefix"]
        ] as const
      ) {
        // planned with its values (a statement's first runs): on the attribute's index
        const explained = yield* plan(filter, "custom")
        expect(explained, JSON.stringify(filter)).toMatch(new RegExp(`Index (Only )?Scan (Backward )?using ${index}`))
        // no run or search row is read one by one (the steps table, empty here, may be: a run's cursor is
        // read from its last step, by the steps' primary key once the table holds rows)
        expect(explained, JSON.stringify(filter)).not.toMatch(seqScanOfRuns)
        // the generic plan a prepared statement may switch to: on indexes too
        expect(yield* plan(filter, "generic"), JSON.stringify(filter)).not.toMatch(seqScanOfRuns)
      }
      expect((yield* store.list(byAttribute)).map((r) => r.runId)).toEqual(["run-0004711"])
      expect((yield* store.list(byText)).map((r) => r.runId)).toHaveLength(20)
      expect((yield* store.list(byRange)).map((r) => r.runId)).toHaveLength(10)
      expect((yield* store.list(byPrefix)).map((r) => r.runId)).toHaveLength(10)
      for (const search of searches) expect((yield* store.list(search.filter)).length, search.name).toBeGreaterThan(0)
    }).pipe(Effect.provide(Layer.suspend(() => Pg.layerStore({ url: scratch.url, schema })))), 60_000)
})
