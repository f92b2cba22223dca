/**
 * The YAML format: what each part of a flow becomes when it runs, and the
 * load-time error of each mistake, at its line and column.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Schema, TestClock } from "effect"
import { Engine, Errors, Step, Template, Testing } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { errorsOf, expectErrors, flow, load, loose, step } from "./support.js"

const Price = Schema.Struct({ amount: Schema.Number, currency: Schema.String })

const fetchPrice = step("fetch_price", { sku: Schema.String }, { price: Price }, ({ sku }) => ({
  price: { amount: sku.length * 10, currency: "EUR" }
}))
const label = step("label", { text: Schema.String, count: Schema.Number }, { label: Schema.String }, ({ count, text }) => ({
  label: `${text} x${count}`
}))
const double = step("double", { n: Schema.Number }, { doubled: Schema.Number }, ({ n }) => ({ doubled: n * 2 }))
const size = step("size", { n: Schema.Number }, { size: Schema.Literal("small", "large") }, ({ n }) => ({
  size: n < 10 ? "small" as const : "large" as const
}))
const named = step("named", { who: Schema.NonEmptyTrimmedString }, { hello: Schema.String }, ({ who }) => ({ hello: `hi ${who}` }))
const tags = step("tags", { tags: Schema.Array(Schema.String) }, { tagCount: Schema.Number }, ({ tags }) => ({ tagCount: tags.length }))
const maybe = step("maybe", { n: Schema.optional(Schema.Number) }, { seen: Schema.Boolean }, ({ n }) => ({ seen: n !== undefined }))

let flaky = 0
/** Fails twice, then succeeds (a counter the tests reset). */
const flakyStep = Step.make({
  name: "flaky",
  requires: {},
  provides: { ok: Schema.Boolean },
  run: () => Effect.suspend(() => ++flaky % 3 === 0 ? Effect.succeed({ ok: true }) : Effect.fail("not yet" as const))
}) as unknown as Step.Step.Any

const registry: Yaml.Registry = {
  steps: { fetch_price: fetchPrice, label, double, size, named, tags, maybe, flaky: flakyStep }
}

const run = (template: Template.Template.Any, input: Record<string, unknown>) =>
  Effect.map(Testing.runTemplate(loose(template), input), (result) => result.state)

describe("a flow loads into a template", () => {
  const source = flow(
    "name: pricing",
    "version: 1.0",
    "inputs:",
    "  sku: string",
    "steps:",
    "  - use: fetch_price",
    "  - use: label",
    "    with:",
    "      text: Price of ${inputs.sku} is ${steps.fetch_price.price.amount} ${price.currency}",
    "      count: ${steps.fetch_price.price.amount}"
  )

  it("named after the flow, versioned by its version and a hash of its content", () => {
    const template = load(source, registry)
    expect(template.name).toBe("pricing")
    // `1.0` is kept as written, not read as the number 1
    expect(template.version).toMatch(/^1\.0\+sha256:[0-9a-f]{12}$/)
    expect(template.requiredState).toEqual(["sku"])
    expect(template.providedState).toEqual(["price", "label"])
    expect(load(source, registry).version).toBe(template.version)
    expect(load(source.replace("Price of", "Price for"), registry).version).not.toBe(template.version)
  })

  it.effect("runs: a whole ${...} keeps its type, within text it becomes text", () =>
    Effect.gen(function*() {
      const state = yield* run(load(source, registry), { sku: "abc" })
      expect(state).toEqual({
        sku: "abc",
        price: { amount: 30, currency: "EUR" },
        label: "Price of abc is 30 EUR x30"
      })
    }))

  it.effect("with: renames: nothing but what the used step writes lands in the state", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: renames",
          "version: 1",
          "inputs: { amount: number }",
          "steps:",
          "  - use: double",
          "    with: { n: '${inputs.amount}' }",
          "  - id: again",
          "    use: double",
          "    with: { n: '${doubled + 1}' }"
        ),
        registry
      )
      expect(template.requiredState).toEqual(["amount"])
      expect(yield* run(template, { amount: 4 })).toEqual({ amount: 4, doubled: 18 })
    }))

  it.effect("constants, lists, objects and $${ for a literal ${", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: constants",
          "version: 1",
          "steps:",
          "  - use: label",
          "    with: { text: 'costs $${price}', count: 3 }",
          "  - use: tags",
          "    with:",
          "      tags: [a, '${label}', c]"
        ),
        registry
      )
      expect(yield* run(template, {})).toEqual({ label: "costs ${price} x3", tagCount: 3 })
    }))

  it.effect("an optional key may be mapped to a value that may be missing; it is then left out", () =>
    Effect.gen(function*() {
      const template = load(
        flow("name: optional", "version: 1", "inputs:", "  n?: number", "steps:", "  - use: maybe", "    with: { n: '${inputs.n}' }"),
        registry
      )
      expect(yield* run(template, {})).toEqual({ seen: false })
      expect(yield* run(template, { n: 1 })).toEqual({ n: 1, seen: true })
    }))

  it.effect("inputs are checked by their declared types before the run starts, naming the key path", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: typed",
          "version: 1",
          "types:",
          "  Line: { sku: string, quantity: integer }",
          "inputs:",
          "  mode: '\"fast\" | \"slow\"'",
          "  lines: Line[]",
          "  note?: string",
          "  limits:",
          "    max: number",
          "    strict?: boolean",
          "  flags:",
          "    - boolean",
          "  who: named.who",
          "steps:",
          "  - use: named"
        ),
        registry
      )
      const input = { mode: "fast", lines: [{ sku: "a", quantity: 2 }], limits: { max: 3 }, flags: [true], who: "ada" }
      expect(yield* run(template, input)).toMatchObject({ hello: "hi ada" })
      const error = yield* Effect.flip(run(template, { ...input, mode: "medium", lines: [{ sku: "a", quantity: 1.5 }], who: " " }))
      expect(error).toBeInstanceOf(Errors.InvalidInput)
      expect(new Set((error as Errors.InvalidInput).keys)).toEqual(new Set(["mode", "lines.0.quantity", "who"]))
    }))

  it("vars: declared defaults, values given at load (read as numbers when declared so), and a bad value", () => {
    const source = flow(
      "name: vars",
      "version: 1",
      "vars: { factor: 3, unit: kg }",
      "steps:",
      "  - use: label",
      "    with: { text: '${vars.unit}', count: '${vars.factor * 2}' }"
    )
    const byDefault = load(source, registry)
    const given = load(source, registry, { factor: "5", unit: "t" })
    expect(given.version).not.toBe(byDefault.version)
    expectErrors(errorsOf(source, registry, { factor: "many" }), [["3:17", `var "factor" is a number, but it was given "many"`]])
  })

  it.effect("retry, timeout and onError: skip", () =>
    Effect.gen(function*() {
      flaky = 0
      const template = load(
        flow(
          "name: policies",
          "version: 1",
          "steps:",
          "  - use: flaky",
          "    retry: { count: 2, delay: 1 second, backoff: exponential }",
          "    timeout: 10s"
        ),
        registry
      )
      const result = yield* Testing.runTemplate(loose(template), {})
      expect(result.trace.map((e) => [e.step, e.status, e.attempts])).toEqual([["flaky", "completed", 3]])
      flaky = 0
      const skipping = load(
        flow("name: skipping", "version: 1", "steps:", "  - use: flaky", "    retry: { count: 0 }", "    onError: skip"),
        registry
      )
      const skipped = yield* Testing.runTemplate(loose(skipping), {})
      expect(skipped.trace.map((e) => [e.step, e.status, e.attempts])).toEqual([["flaky", "skipped", 1]])
    }))
})

describe("control flow runs", () => {
  it.effect("branch if/then/else and on/cases/default", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: branches",
          "version: 1",
          "inputs: { n: number }",
          "steps:",
          "  - use: size",
          "  - id: route",
          "    branch:",
          "      if: n > 5 and size == 'large'",
          "      then:",
          "        - use: label",
          "          with: { text: big, count: '${n}' }",
          "      else:",
          "        - use: label",
          "          id: small_label",
          "          with: { text: small, count: 0 }",
          "  - id: pick",
          "    branch:",
          "      on: size",
          "      cases:",
          "        small:",
          "          - use: double",
          "      default:",
          "        - use: double",
          "          id: other",
          "          with: { n: 0 }"
        ),
        registry
      )
      expect(yield* run(template, { n: 12 })).toEqual({ n: 12, size: "large", label: "big x12", doubled: 0 })
      expect(yield* run(template, { n: 2 })).toEqual({ n: 2, size: "small", label: "small x0", doubled: 4 })
    }))

  it.effect("loop: while a condition holds, at most maxIterations times", () =>
    Effect.gen(function*() {
      const source = (max: number) =>
        flow(
          "name: loops",
          "version: 1",
          "inputs: { n: number }",
          "steps:",
          "  - use: double",
          "  - id: grow",
          "    loop:",
          "      while: doubled < 100",
          `      maxIterations: ${max}`,
          "      steps:",
          "        - use: double",
          "          id: again",
          "          with: { n: '${doubled}' }"
        )
      expect(yield* run(load(source(10), registry), { n: 3 })).toEqual({ n: 3, doubled: 192 })
      const error = yield* Effect.flip(run(load(source(2), registry), { n: 3 }))
      expect(error).toBeInstanceOf(Errors.LoopLimitExceeded)
    }))

  it.effect("forEach: over a list, each element under `as`, results collected into a list", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: each",
          "version: 1",
          "inputs:",
          "  numbers: number[]",
          "steps:",
          "  - id: doubles",
          "    forEach:",
          "      over: ${inputs.numbers}",
          "      as: n",
          "      concurrency: 2",
          "      collect: doubled",
          "      steps:",
          "        - use: double"
        ),
        registry
      )
      expect(yield* run(template, { numbers: [1, 2, 3] })).toEqual({ numbers: [1, 2, 3], doubles: [2, 4, 6] })
    }))

  it.effect("parallel: branches at once, a key several write merged", () =>
    Effect.gen(function*() {
      const template = load(
        flow(
          "name: both",
          "version: 1",
          "inputs: { a: number, b: number }",
          "steps:",
          "  - id: fan",
          "    parallel:",
          "      branches:",
          "        left:",
          "          - use: double",
          "            with: { n: '${inputs.a}' }",
          "        right:",
          "          - use: double",
          "            id: double_b",
          "            with: { n: '${inputs.b}' }",
          "      merge: { doubled: sum }"
        ),
        registry
      )
      expect(yield* run(template, { a: 1, b: 10 })).toEqual({ a: 1, b: 10, doubled: 22 })
    }))

  const durable = (steps: Yaml.Registry["steps"]) =>
    load(
      flow(
        "name: durable",
        "version: 1",
        "steps:",
        "  - id: nap",
        "    sleep: 1 hour",
        "  - id: amount",
        "    waitForSignal:",
        "      payload: { value: number }",
        "      timeout: 1 day",
        "      default: { value: 7 }",
        "  - use: scale",
        "    with: { n: '${amount.value}' }"
      ),
      { steps }
    )
  const scale = Template.make({ name: "scale", version: "2", steps: [double, size] as never }) as unknown as Template.Template.Any

  it.effect("sleep, waitForSignal, and a template used with with:", () =>
    Effect.gen(function*() {
      const template = durable({ ...registry.steps, scale })
      const engine = yield* Engine.Engine
      // awaitStatus moves fake time through the nap (an engine of Testing.layer sleeps on a clock it sees)
      const signalled = yield* engine.start(template, {}, { runId: "signalled" })
      yield* Testing.awaitStatus("signalled", "suspended")
      yield* engine.signal("signalled", "amount", { value: 21 })
      expect((yield* Testing.withAutoTime(signalled.await)).state).toEqual({ amount: { value: 21 }, n: 21, doubled: 42, size: "large" })
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.days(10) }))))

  it.effect("a waitForSignal's default is written when its timeout passes", () =>
    Effect.gen(function*() {
      const template = durable({ ...registry.steps, scale })
      const engine = yield* Engine.Engine
      const waited = yield* engine.start(template, {}, { runId: "waited" })
      yield* Testing.awaitStatus("waited", "suspended")
      yield* TestClock.adjust("1 day")
      expect((yield* Testing.withAutoTime(waited.await)).state).toEqual({ amount: { value: 7 }, n: 7, doubled: 14, size: "small" })
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.days(10) }))))
})

describe("mistakes, each at its line and column, all at once", () => {
  it("YAML syntax", () => {
    expectErrors(errorsOf("name: x\nsteps: [a, b\n", registry), [["3:1", /YAML: .*flow sequence/i]])
    expectErrors(errorsOf("name: x\nname: y\n", registry), [["2:1", "YAML: Map keys must be unique"]])
    expectErrors(errorsOf("name: x\nsteps:\n\t- use: double\n", registry), [["3:1", /YAML: Tabs are not allowed/]])
  })

  it("unknown fields, with what was meant", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "versoin: 1",
          "steps:",
          "  - use: double",
          "    whit: { n: 1 }",
          "    retry: { cuont: 2 }",
          "  - id: b",
          "    branch: { iff: true, then: [{ use: size }] }"
        ),
        registry
      ),
      [
        ["1:1", `a flow needs a "version"`],
        ["2:1", `unknown field "versoin" in a flow (did you mean "version"?)`],
        // without its with:, double reads n from the state, where nothing provides it
        ["4:10", `step "double" reads "n" (number), but nothing provides it here`],
        ["5:5", `unknown field "whit" in step "double" (did you mean "with"?)`],
        ["6:12", `retry needs "count"`],
        ["6:14", `unknown field "cuont" in retry (did you mean "count"?)`],
        ["8:13", `a branch needs "if: <condition>"`],
        ["8:15", `unknown field "iff" in branch "b" (did you mean "if"?)`]
      ]
    )
  })

  it("unknown step names, and with: keys the step does not read", () => {
    expectErrors(
      errorsOf(
        flow("name: x", "version: 1", "steps:", "  - use: dobule", "    with: { m: 1 }", "  - use: lable"),
        registry
      ),
      [
        ["4:10", `unknown step "dobule" (did you mean "double"?)`],
        ["6:10", `unknown step "lable" (did you mean "label"?)`]
      ]
    )
    expectErrors(errorsOf(flow("name: x", "version: 1", "steps:", "  - use: double", "    with: { m: 1 }"), registry), [
      ["4:10", `step "double" reads "n" (number), but nothing provides it here`],
      ["5:13", `step "double" (double) does not read "m" (did you mean "n"?); it reads "n"`]
    ])
  })

  it("a look-alike unknown step name (a Cyrillic \"о\") is an unknown step with its did-you-mean, not an id error", () => {
    const lookAlike = "fetch_\u043erder" // "fetch_оrder": its "о" is Cyrillic
    const withOrder: Yaml.Registry = { steps: { ...registry.steps, fetch_order: fetchPrice } }
    expectErrors(errorsOf(flow("name: x", "version: 1", "inputs: { sku: string }", "steps:", `  - use: ${lookAlike}`), withOrder), [
      ["5:10", `unknown step "${lookAlike}" (did you mean "fetch_order"?); "\u043e" is U+043E, not an ASCII character: registered are`]
    ])
    // in a subflow, and when nothing is close
    expectErrors(errorsOf(flow("name: x", "version: 1", "steps:", "  - subflow: d\u043euble", "  - use: \u0436\u0436"), registry), [
      ["4:14", `unknown step "d\u043euble" (did you mean "double"?); "\u043e" is U+043E`],
      ["5:10", `unknown step "\u0436\u0436"; "\u0436" is U+0436, not an ASCII character: registered are`]
    ])
    // a registered name that cannot be an id still needs an id
    const spaced: Yaml.Registry = { steps: { "fetch price": fetchPrice } }
    expectErrors(errorsOf(flow("name: x", "version: 1", "inputs: { sku: string }", "steps:", "  - use: fetch price"), spaced), [
      ["5:10", `"fetch price" cannot be a step id: give this step an "id:"`]
    ])
    expect(load(flow("name: x", "version: 1", "inputs: { sku: string }", "steps:", "  - id: fetch", "    use: fetch price"), spaced).name).toBe("x")
  })

  it("a key nobody provides", () => {
    expectErrors(errorsOf(flow("name: x", "version: 1", "inputs: { m: number }", "steps:", "  - use: double"), registry), [
      ["5:10", `step "double" reads "n" (number), but nothing provides it here (did you mean "m"?)`]
    ])
  })

  it("references to steps that do not exist, come later, ran in another arm, or do not write the key", () => {
    const errors = errorsOf(
      flow(
        "name: x",
        "version: 1",
        "inputs: { n: number }",
        "steps:",
        "  - use: double",
        "    with: { n: '${steps.size.size}' }",
        "  - use: size",
        "  - id: b",
        "    branch:",
        "      if: true",
        "      then:",
        "        - use: label",
        "          with: { text: a, count: 1 }",
        "      else:",
        "        - use: label",
        "          id: other",
        "          with: { text: '${steps.label.label}', count: '${steps.dobule.doubled}' }",
        "  - use: tags",
        "    with: { tags: ['${steps.size.sizes}'] }"
      ),
      registry
    )
    expectErrors(errors, [
      ["6:25", `step "size" comes later (line 7)`],
      ["17:34", `step "label" (line 12) has not run here: it is in another arm`],
      ["17:65", `no step has the id "dobule" (did you mean "double"?)`],
      ["19:34", `step "size" does not write "sizes" (did you mean "size"?)`]
    ])
  })

  it("a reference to a value written over since", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { n: number }",
          "steps:",
          "  - use: double",
          "  - use: double",
          "    id: twice",
          "    with: { n: '${doubled}' }",
          "  - use: label",
          "    with: { text: a, count: '${steps.double.doubled}' }"
        ),
        registry
      ),
      [["10:32", `steps.double.doubled is no longer step "double"'s value here: step "twice" (line 7) wrote "doubled" since`]]
    )
  })

  it("a reference whose type does not fit, and a constant that does not", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { sku: string }",
          "steps:",
          "  - use: fetch_price",
          "  - use: double",
          "    with: { n: '${price.currency}' }",
          "  - use: named",
          "    with: { who: '  ' }",
          "  - use: label",
          "    with: { text: '${price}', count: '3' }"
        ),
        registry
      ),
      [
        // at the value
        ["7:16", `"n" of step "double" (double) is number, but this value is string`],
        ["9:18", `"who" of step "named" (named) is NonEmptyTrimmedString; "  " is not one (└─ Expected a string with no leading or trailing whitespace`],
        ["11:19", `"text" of step "label" (label) is string, but this value is { amount: number; currency: string }`],
        ["11:38", `"count" of step "label" (label) is number; "3" is not one`]
      ]
    )
  })

  it("bad durations, and a loop without maxIterations", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "timeout: 10",
          "steps:",
          "  - sleep: 5 minuts",
          "  - id: l",
          "    loop:",
          "      while: false",
          "      steps: [{ sleep: 1h, id: s }]"
        ),
        registry
      ),
      [
        ["3:10", `timeout: "10" has no unit`],
        ["5:12", `sleep "sleep": "minuts" is not a unit of time in "5 minuts" (did you mean "minute"?)`],
        ["8:7", `loop "l" needs maxIterations`]
      ]
    )
  })

  it("conditions: typed, boolean, without eval", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { n: number, s: string }",
          "steps:",
          "  - id: a",
          "    branch: { if: n, then: [{ sleep: 1s, id: a1 }] }",
          "  - id: b",
          "    branch: { if: 'n > s', then: [{ sleep: 1s, id: b1 }] }",
          "  - id: c",
          "    branch: { if: 'constructor.constructor(\"return 1\")()', then: [{ sleep: 1s, id: c1 }] }",
          "  - id: d",
          "    branch: { if: 'n == \"3\" or len(s) > 1 and', then: [{ sleep: 1s, id: d1 }] }"
        ),
        registry
      ),
      [
        ["6:19", `the condition of branch "a" must be a boolean, but it is number`],
        ["8:20", `">" compares two numbers or two texts, not number and string`],
        // no method calls, no property lookups outside a value's own fields, no eval
        ["10:43", `the condition of branch "c": unexpected "("`],
        ["12:46", `the condition of branch "d": the expression is empty or ends too early`]
      ]
    )
  })

  it("ids: unique, not reserved", () => {
    expectErrors(
      errorsOf(flow("name: x", "version: 1", "steps:", "  - sleep: 1s", "  - sleep: 2s", "  - id: inputs", "    sleep: 1s"), registry),
      [
        ["5:5", `two steps have the id "sleep" (the other at line 4): give this one another "id:"`],
        ["6:9", `"inputs" is a reserved name`]
      ]
    )
  })

  it("a signal's default must be a payload, and needs a timeout", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "steps:",
          "  - id: w",
          "    waitForSignal:",
          "      payload: { ok: boolean }",
          "      default: { ok: maybe }"
        ),
        registry
      ),
      [
        ["7:7", `"default" is the value written when the timeout passes: give a "timeout"`],
        ["7:16", `the default is not a valid payload ({ ok: boolean })`]
      ]
    )
  })

  it("a file that is not a mapping, and an empty one", () => {
    expectErrors(errorsOf("- a\n- b\n", registry), [["1:1", "a flow must be a mapping"]])
    expectErrors(errorsOf("", registry), [["1:1", "the file is empty"]])
    expectErrors(errorsOf("# nothing\n", registry), [["1:1", "the file is empty"]])
  })

  it.effect("loadFile: a missing file is one error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Yaml.loadFile("/nonexistent/flow.yaml", { registry }))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(Yaml.loadFile("/nonexistent/flow.yaml", { registry }))
      expect(error.errors).toEqual([
        { file: "/nonexistent/flow.yaml", line: 1, column: 1, message: expect.stringContaining("cannot read the file") }
      ])
    }))

  it("the message lists every error as file:line:column: message", () => {
    const result = Effect.runSync(Effect.either(Yaml.load("name: x\n", { file: "a.yaml", registry })))
    expect(Either.isLeft(result) && result.left.message).toBe(
      `a.yaml:1:1: a flow needs a "version"\na.yaml:1:1: a flow needs "steps"`
    )
  })
})
