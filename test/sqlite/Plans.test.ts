/**
 * The store's queries that run often or over many runs find their rows
 * through an index (most indexes are partial: a query uses one only when it
 * repeats the index's condition, which is easy to lose in an edit).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { claimNextSql, runSelect, statementSql } from "../../src/internal/sql/sqlite/statements.js"
import { tempFile } from "../support.js"
import { open } from "./fixtures.js"

const queries: ReadonlyArray<readonly [string, string, string]> = [
  ["claimNext", claimNextSql(2, 1), "weft_runs_active"],
  ["claimNext (recover some queues)", claimNextSql(2, 1, 2), "weft_runs_active"],
  ["heartbeat", statementSql.heartbeat, "weft_runs_active"],
  ["a pause asked of a run whose engine is gone", statementSql.parkAsked.replaceAll("@now", "?"), "weft_runs_active"],
  ["a queue's starts (rate limits)", statementSql.startsCount, "weft_queue_starts_at"],
  ["collectExpired", statementSql.expiredRuns, "weft_runs_expiry"],
  ["collectExpired's steps", statementSql.expiredSteps, "weft_runs_expiry"],
  ["cancel's cascade", statementSql.cancel, "weft_runs_parent"],
  // as `list` writes its conditions
  ["list by lineage", `${runSelect} WHERE (r.run_id = ? OR (r.parent_id IS NOT NULL AND r.root_id = ?))`, "weft_runs_root"],
  ["list of due runs", `${runSelect} WHERE r.status = 'suspended' AND r.wake_at <= ?`, "weft_runs_wake_at"],
  ["list, newest first", `${runSelect} ORDER BY r.created_at DESC, r.run_id DESC LIMIT 10`, "weft_runs_created"]
]

describe("SQLite query plans", () => {
  it.scoped("each query uses its index", () =>
    Effect.gen(function*() {
      const { connection } = yield* open(yield* tempFile)
      for (const [name, sql, index] of queries) {
        // the plan with a constant for each parameter
        const plan = (connection.db.prepare(`EXPLAIN QUERY PLAN ${sql.replaceAll("?", "1")}`).all() as ReadonlyArray<
          { detail: string }
        >)
          .map((row) => row.detail).join(" | ")
        expect(plan, name).toContain(`INDEX ${index}`)
        expect(plan, name).not.toMatch(/SCAN (weft_runs|r)( |$)(?!USING)/)
      }
    }))
})
