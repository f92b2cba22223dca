/**
 * Search over 100,000 seeded runs (bulk `INSERT … SELECT`, `bench/searchSeed.ts`)
 * on SQLite and PostgreSQL, through the store as `engine.list` calls it:
 * every search answers the runs that match, newest first, paged by cursor,
 * and each answer's attributes satisfy the conditions.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import pg from "pg"
import { SnapshotStore } from "weftjs"
import { Pg } from "weftjs/pg"
import { searches, seedStatements, seedT0 } from "../../bench/searchSeed.js"
import { openStore } from "../../src/internal/sql/sqlite/make.js"
import { describePg, unique } from "../pg/support.js"
import { tempFile } from "../support.js"

const n = 100_000

const checks = (store: SnapshotStore.Service) =>
  Effect.gen(function*() {
    const [byId, byCustomer, byPrefix, byWindow] = searches
    expect((yield* store.list(byId.filter)).map((r) => r.runId)).toEqual(["run-0004711"])
    const customer = yield* store.list(byCustomer.filter)
    expect(customer).toHaveLength(50)
    for (const run of customer) {
      const attributes = yield* store.searchAttributes(run.runId)
      expect(attributes.customer).toBe("c42")
      expect(attributes.amount).toBeGreaterThan(60)
    }
    // newest first, and the next page goes on from the last
    const times = customer.map((r) => r.createdAt)
    expect([...times].sort((a, b) => b - a)).toEqual(times)
    const last = customer[customer.length - 1]!
    const next = yield* store.list({ ...byCustomer.filter, after: { createdAt: last.createdAt, runId: last.runId } })
    expect(next[0]!.createdAt).toBeLessThan(last.createdAt)
    expect((yield* store.list(byPrefix.filter)).map((r) => r.runId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `run-000471${9 - i}`)
    )
    const window = yield* store.list(byWindow.filter)
    expect(window.map((r) => r.runId)).toEqual(Array.from({ length: 50 }, (_, i) => `run-000${5099 - i}`))
    expect(window.every((r) => r.createdAt >= seedT0 + 5050 * 1000)).toBe(true)
    // a time range and a status without attributes
    const failed = yield* store.list({ status: "failed", createdAfter: seedT0 + 99_000 * 1000, limit: 1000 })
    expect(failed).toHaveLength(101) // i = 99000, 99010, …, 100000
  })

describe("search over 100,000 runs", () => {
  it.scoped("SQLite", () =>
    Effect.gen(function*() {
      const { connection, store } = yield* openStore({
        filename: yield* tempFile,
        readonly: false,
        busyTimeoutMillis: 5000,
        synchronous: "NORMAL",
        fileCheckMillis: 1000
      })
      for (const statement of seedStatements("sqlite", n)) connection.db.exec(statement)
      yield* checks(store)
    }), 180_000)
})

describePg("search over 100,000 runs", (scratch) => {
  const schema = `t_${unique()}`
  it.scoped("PostgreSQL", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.SnapshotStore
      yield* Effect.promise(async () => {
        const client = new pg.Client({ connectionString: scratch.url })
        await client.connect()
        try {
          await client.query(`SET search_path = ${schema}`)
          for (const statement of seedStatements("pg", n)) await client.query(statement)
        } finally {
          await client.end()
        }
      })
      yield* checks(store)
    }).pipe(Effect.provide(Layer.suspend(() => Pg.layerStore({ url: scratch.url, schema })))), 180_000)
})
