/**
 * The YAML twins of two ready templates (`examples/yaml/*.yaml`, over their
 * registered steps) produce the same final state as the code versions, on
 * the in-memory engine; and `npm run example -- yaml` runs.
 */
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock, TestContext } from "effect"
import { Engine, Testing } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { folder, registry } from "../../examples/yaml/registry.js"
import { DataQuality, OrderProcessing } from "../../templates/index.js"
import { built } from "../build.js"

const loadExample = (name: string) => Yaml.loadFile(`${folder}${name}`, { registry })

/** A template typed as a loaded flow, to run code and YAML versions through the same helpers. */
const asFlow = (template: object): Yaml.Flow => template as Yaml.Flow

/** Each run on its own fake clock, from 0, with its own in-memory services. */
const isolated = <A, E>(program: Effect.Effect<A, E, Engine.Engine>, services: Layer.Layer<never>) =>
  program.pipe(
    Effect.provide(Layer.merge(Testing.layer({ workflowTimeout: Duration.days(10) }), services)),
    Effect.scoped,
    Effect.provide(TestContext.TestContext)
  )

const runToEnd = (template: Yaml.Flow, input: Record<string, unknown>) =>
  Effect.flatMap(Engine.Engine, (engine) => Testing.withAutoTime(engine.run(template, input)))

// ---------------------------------------------------------------------------
// order processing
// ---------------------------------------------------------------------------

const orderServices = (): Layer.Layer<never> =>
  Layer.mergeAll(
    OrderProcessing.Payments.layerMemory(),
    OrderProcessing.Shipping.layerMemory(),
    OrderProcessing.Mailer.layerMemory()
  ) as unknown as Layer.Layer<never>

const smallOrder: OrderProcessing.Order = {
  orderId: "o-1",
  customerEmail: "ada@example.com",
  shippingAddress: "1 Main St, Springfield",
  paymentToken: "tok_visa",
  currency: "EUR",
  lines: [{ sku: "grinder", quantity: 1, unitPrice: 12_900 }, { sku: "beans", quantity: 3, unitPrice: 1_450 }]
}
const largeOrder: OrderProcessing.Order = { ...smallOrder, orderId: "o-2", lines: [{ sku: "espresso-machine", quantity: 3, unitPrice: 49_900 }] }

/** Starts a large order, waits for its suspension, answers its approval (or lets it time out), and awaits the end. */
const decided = (template: Yaml.Flow, decision: OrderProcessing.Decision | "no answer") =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const handle = yield* engine.start(template, { order: largeOrder }, { runId: "large" })
    yield* Testing.awaitStatus("large", "suspended")
    if (decision === "no answer") yield* TestClock.adjust("2 days")
    else yield* engine.signal("large", "approval", decision)
    return yield* Testing.withAutoTime(handle.await)
  })

describe("order processing in YAML", () => {
  it.effect("loads: the same outside requirement as the code version", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("order-processing.yaml")
      expect(yaml.name).toBe("order_processing_yaml")
      expect(yaml.requiredState).toEqual(OrderProcessing.template.requiredState)
      expect([...yaml.providedState].sort()).toEqual([...OrderProcessing.template.providedState].sort())
    }))

  it.effect("a small order: approved by rule, shipped, mailed — the same final state", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("order-processing.yaml")
      const code = yield* isolated(runToEnd(asFlow(OrderProcessing.template), { order: smallOrder }), orderServices())
      const twin = yield* isolated(runToEnd(yaml, { order: smallOrder }), orderServices())
      expect(code.state["orderStatus"]).toBe("shipped")
      expect(twin.state).toEqual(code.state)
    }))

  it.effect("a large order approved by the approval signal: the same final state", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("order-processing.yaml")
      const decision = { approved: true, by: "ops@example.com", reason: "regular customer" }
      const code = yield* isolated(decided(asFlow(OrderProcessing.template), decision), orderServices())
      const twin = yield* isolated(decided(yaml, decision), orderServices())
      expect(code.state["approval"]).toEqual(decision)
      expect(twin.state).toEqual(code.state)
      // and the same steps ran, under the same keys (the YAML flow first checks its declared inputs)
      expect(twin.trace.map((e) => e.step)).toEqual(["inputs", ...code.trace.map((e) => e.step)])
    }))

  it.effect("a large order refused: refunded — the same final state", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("order-processing.yaml")
      const refusal = { approved: false, by: "eve", reason: "suspected fraud" }
      const code = yield* isolated(decided(asFlow(OrderProcessing.template), refusal), orderServices())
      const twin = yield* isolated(decided(yaml, refusal), orderServices())
      expect(code.state["orderStatus"]).toBe("cancelled")
      expect(twin.state).toEqual(code.state)
    }))

  it.effect("a large order left without an answer for 2 days: refused by default, refunded — the same final state", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("order-processing.yaml")
      const codeTimeout = yield* isolated(decided(asFlow(OrderProcessing.template), "no answer"), orderServices())
      const twinTimeout = yield* isolated(decided(yaml, "no answer"), orderServices())
      expect(codeTimeout.state["decision"]).toMatchObject({ approved: false, by: "nobody", reason: "no answer within 2d" })
      expect(twinTimeout.state).toEqual(codeTimeout.state)
    }))
})

// ---------------------------------------------------------------------------
// data quality
// ---------------------------------------------------------------------------

const range = { min: 0, max: 100 }
const series = (...values: ReadonlyArray<number | null>) => values.map((value, i) => ({ at: (i + 1) * 1000, value }))
const datasets: Readonly<Record<string, DataQuality.StoredDataset>> = {
  clean: { sensor: "t-1", unit: "°C", range, readings: series(20, 21, 22) },
  messy: { sensor: "t-1", unit: "°C", range, readings: [...series(20, null, null, 23).reverse(), { at: 1000, value: 19 }] },
  implausible: { sensor: "t-1", unit: "°C", range, readings: series(20, 999, null) },
  gap: { sensor: "t-1", unit: "°C", range, readings: series(20, ...Array<null>(12).fill(null), 30) }
}
const qualityServices = (): Layer.Layer<never> =>
  Layer.merge(DataQuality.DatasetStore.layerMemory(datasets), DataQuality.QualityAlerts.layerMemory()) as unknown as Layer.Layer<never>

describe("data quality in YAML", () => {
  for (const datasetId of ["clean", "messy", "implausible"]) {
    it.effect(`dataset "${datasetId}": the same final state as the code version`, () =>
      Effect.gen(function*() {
        const yaml = yield* loadExample("data-quality.yaml")
        const code = yield* isolated(runToEnd(asFlow(DataQuality.template), { datasetId }), qualityServices())
        const twin = yield* isolated(runToEnd(yaml, { datasetId }), qualityServices())
        expect(twin.state).toEqual(code.state)
      }))
  }

  it.effect("a gap too long for 5 passes fails both with LoopLimitExceeded, naming the loop", () =>
    Effect.gen(function*() {
      const yaml = yield* loadExample("data-quality.yaml")
      const code = yield* Effect.flip(isolated(runToEnd(asFlow(DataQuality.template), { datasetId: "gap" }), qualityServices()))
      const twin = yield* Effect.flip(isolated(runToEnd(yaml, { datasetId: "gap" }), qualityServices()))
      expect(code).toMatchObject({ _tag: "LoopLimitExceeded", loop: "clean", maxIterations: 5 })
      expect(twin).toEqual(code)
    }))
})

// ---------------------------------------------------------------------------
// npm run example -- yaml
// ---------------------------------------------------------------------------

const root = resolve(__dirname, "../..")

const runExample = (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> =>
  new Promise((done, fail) => {
    const proc = spawn(process.execPath, [built("examples/run.ts"), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (chunk) => (stdout += String(chunk)))
    proc.stderr.on("data", (chunk) => (stderr += String(chunk)))
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      fail(new Error(`the example did not finish:\n${stdout}\n${stderr}`))
    }, 80_000)
    proc.on("error", fail)
    proc.on("exit", (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })

describe("npm run example -- yaml", { timeout: 90_000 }, () => {
  it("loads both flows, runs them, and shows a flow's mistakes at their positions", async () => {
    const { code, stderr, stdout } = await runExample(["yaml"])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(stdout).toMatch(/^loaded data_quality_yaml@1\.0\+sha256:[0-9a-f]{12}: requires datasetId$/m)
    expect(stdout).toContain("dataset boiler-7: accepted, saved as version 2")
    expect(stdout).toMatch(/^review\/then\/approval +completed +1 /m)
    expect(stdout).toContain("order o-3003 shipped: tracking number TRK-000001")
    expect(stdout).toContain(`broken.yaml:6:10: unknown step "load_datset" (did you mean "load_dataset"?)`)
    expect(stdout).toContain(`broken.yaml:12:7: loop "clean" needs maxIterations`)
  })
})
