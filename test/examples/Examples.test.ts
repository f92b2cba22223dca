/**
 * Every example runs to completion: `npm run example -- <name>` exits 0 and
 * prints the line that shows it did its job.
 */
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { built } from "../build.js"

const root = resolve(__dirname, "../..")

interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `examples/run.ts ...args` (built) as `npm run example` does, killing it after `timeoutMs`. */
const runExample = (args: ReadonlyArray<string>, timeoutMs = 60_000): Promise<Outcome> =>
  new Promise((done, fail) => {
    const proc = spawn(process.execPath, [built("examples/run.ts"), ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (chunk) => (stdout += String(chunk)))
    proc.stderr.on("data", (chunk) => (stderr += String(chunk)))
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      fail(new Error(`example ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`))
    }, timeoutMs)
    proc.on("error", fail)
    proc.on("exit", (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })

const expectSuccess = (outcome: Outcome) => {
  expect(outcome.stderr).toBe("")
  expect(outcome.code).toBe(0)
}

// each example takes a few seconds alone; the generous limits are for loaded CI machines
describe.concurrent("examples", { timeout: 90_000 }, () => {
  it("without a name, lists the examples", async () => {
    const outcome = await runExample([])
    expectSuccess(outcome)
    for (const name of ["compose", "retry", "approval", "crash"]) expect(outcome.stdout).toMatch(new RegExp(`^  ${name} `, "m"))
  })

  it("an unknown name lists the examples and fails", async () => {
    const outcome = await runExample(["nope"])
    expect(outcome.code).toBe(1)
    expect(outcome.stderr).toContain(`unknown example "nope"`)
    expect(outcome.stdout).toContain("usage: npm run example -- <name>")
  })

  it("compose: three templates composed, from a document to a published article", async () => {
    const outcome = await runExample(["compose"])
    expectSuccess(outcome)
    expect(outcome.stdout).toContain("flow knowledge_ingestion+brief_from_knowledge+content_pipeline")
    expect(outcome.stdout).toContain("requires sourceId, contentType")
    expect(outcome.stdout).toMatch(/^published "Reactor R-100 operation: .*" \(\d+ words\) at \/articles\/reactor-r-100-operation$/m)
    expect(outcome.stdout).toMatch(/^content_pipeline\/publish +completed +1 /m)
  })

  it("retry: retried, timed out, fallen back, failed", async () => {
    const outcome = await runExample(["retry"])
    expectSuccess(outcome)
    expect(outcome.stdout).toMatch(/^fetch_quote +completed +3 /m)
    expect(outcome.stdout).toMatch(/^live_rates +fallback +3 .*StepTimeout/m)
    expect(outcome.stdout).toContain("total 77 (rate 1.1, from the cache)")
    expect(outcome.stdout).toContain("the run failed with InventoryDown after 3 attempts")
    expect(outcome.stdout).toContain(`the run failed with WorkflowTimeout: Workflow "slow" timed out after 200ms`)
  })

  it("approval: the first command exits with the run suspended; a second process approves it and the run completes", async () => {
    const started = await runExample(["approval", "start"])
    expectSuccess(started)
    expect(started.stdout).toMatch(/suspended at review\/then\/approval, waiting for signal "approval"/)
    const runId = /npm run example -- approval approve (\S+)$/m.exec(started.stdout)?.[1]
    expect(runId, started.stdout).toBeDefined()
    expect(started.stdout).toContain(`run ${runId} is suspended`)
    expect(started.stdout).not.toContain("ship_order")

    const approved = await runExample(["approval", "approve", runId!])
    expectSuccess(approved)
    expect(approved.stdout).toContain(`run ${runId} is suspended; approving it from this process`)
    expect(approved.stdout).toContain(`run ${runId} received signal "approval"`)
    // the trace, from the store: the steps of the first process and those of this one
    expect(approved.stdout).toMatch(/^charge_card +completed +1 /m)
    expect(approved.stdout).toMatch(/^review\/then\/approval +completed +1 /m)
    const slept = /^fulfilment\/then\/cooling_off +completed +1 +(\d+) ms/m.exec(approved.stdout)?.[1]
    expect(Number(slept), "the 2-second cooling-off period is slept").toBeGreaterThanOrEqual(2000)
    expect(approved.stdout).toContain("order o-1001 shipped: tracking number TRK-000001")

    // a second approval of an ended run is refused
    const again = await runExample(["approval", "approve", runId!])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("was rejected (run-ended): the run is completed")
  })

  it("batch: a YAML batch of built-in steps reads items, runs a program on each, skips what keeps failing, writes the results", async () => {
    const outcome = await runExample(["batch"])
    expectSuccess(outcome)
    expect(outcome.stdout).toContain("wrote out/results.json in the files folder:")
    expect(outcome.stdout).toMatch(/^ {2}a1: ok$/m)
    expect(outcome.stdout).toMatch(/^ {2}a3: skipped$/m)
    expect(outcome.stdout).toMatch(/^ {2}a5: skipped$/m)
    expect(outcome.stdout).toMatch(/^ {2}a8: ok$/m)
  })

  it("crash: the child is killed mid-run, the run resumes without redoing completed steps", async () => {
    const outcome = await runExample(["crash"])
    expectSuccess(outcome)
    expect(outcome.stdout).toContain("SIGKILL to the child")
    expect(outcome.stdout).toMatch(/is running after 2 step\(s\)/)
    // only the draft was asked of the model after the crash: the outline was not written again
    expect(outcome.stdout).toContain("model requests answered in this process: Task: draft\n")
    expect(outcome.stdout).toContain(`published "Durable workflows: a guide for platform engineers" at /articles/durable-workflows`)
  })
})
