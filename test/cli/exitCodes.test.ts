/**
 * The command line's one mapping of errors to exit codes: derived from each
 * error's own classification (`Errors.kindOf`), with no list of its own.
 */
import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import { Errors } from "weftjs"
import { fromError, usage } from "../../src/cli/internal/errors.js"

describe("exit codes", () => {
  it("are 2 for the caller's mistakes and 1 for failed runs and failing stores, as Errors.kindOf says", () => {
    const cases: ReadonlyArray<readonly [unknown, 1 | 2]> = [
      [new Errors.RunNotFound({ runId: "r" }), 2],
      [new Errors.InvalidRunId({ runId: "", reason: "empty" }), 2],
      [new Errors.RunNotResumable({ runId: "r", status: "completed" }), 2],
      [new Errors.PersistenceError({ operation: "create", reason: "duplicate", detail: "r exists" }), 2],
      [new Errors.PersistenceError({ operation: "claim", reason: "locked", detail: "busy" }), 1],
      [new Errors.WorkflowTimeout({ template: "t", timeout: Duration.seconds(1) }), 1],
      [new Error("anything else"), 1],
      [usage("bad flag"), 2]
    ]
    for (const [error, code] of cases) {
      const kind = Errors.kindOf(error)
      expect(fromError(error).exitCode, `${String((error as { _tag?: string })._tag)} (${kind})`).toBe(code)
      if (kind !== undefined) expect(fromError(error).exitCode).toBe(kind === "input" ? 2 : 1)
    }
  })
})
