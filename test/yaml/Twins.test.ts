/**
 * YAML flows are checked as strictly as code: the YAML twin of every case
 * the compiler rejects in `test/types/*.test-d.ts` is a load-time error,
 * at its position. Each twin comes with its passing twin (the same flow
 * wired correctly), so that only the wrong wiring is refused.
 *
 * The cases of the type tests that have no YAML twin, because YAML does not
 * write what they check: the body of a step (`Step.run` reading a key it did
 * not require, returning a wrong type) and the payload given to a typed
 * signal in code; YAML flows use registered steps, and a signal's payload is
 * decoded when it is sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { composeWorkflow, Durable, Step, Template } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { errorsOf, expectErrors, flow, load, part, step } from "./support.js"

// ---------------------------------------------------------------------------
// the steps and templates of the type tests, registered
// ---------------------------------------------------------------------------

const Status = Schema.Literal("ok", "degraded", "down")

const validateInputs = step("validate_inputs", {
  equipmentId: Schema.String,
  processParams: Schema.Struct({ temperature: Schema.Number })
}, { validated: Schema.Boolean })
const checkEquipmentStatus = step("check_equipment_status", { equipmentId: Schema.String, validated: Schema.Boolean }, {
  equipmentStatus: Status
})
const processControl = Template.make({
  name: "process_control",
  version: "1.0",
  steps: [validateInputs, checkEquipmentStatus] as never
}) as unknown as Template.Template.Any
const writeReport = step("write_report", { equipmentStatus: Schema.String }, { report: Schema.String })
const needsNumber = step("needs_number", { equipmentStatus: Schema.Number }, {})
const report = Template.make({ name: "report", version: "1.0", steps: [writeReport] as never }) as unknown as Template.Template.Any
const wrong = Template.make({ name: "wrong", version: "1.0", steps: [needsNumber] as never }) as unknown as Template.Template.Any

const probeStatus = step("probe", { equipmentId: Schema.String }, { equipmentStatus: Status }, () => ({ equipmentStatus: "ok" as const }), {
  onError: "skip"
})
const readsOptionalStatus = step("reads_optional", { equipmentStatus: Schema.optional(Schema.String) }, { summary: Schema.String })

const Doc = Schema.Struct({ id: Schema.Number, text: Schema.String })
const Decision = Schema.Struct({ approved: Schema.Boolean, by: Schema.String })

const steps = {
  validate_inputs: validateInputs,
  check_equipment_status: checkEquipmentStatus,
  process_control: processControl,
  write_report: writeReport,
  needs_number: needsNumber,
  probe_status: probeStatus,
  reads_optional: readsOptionalStatus,
  composite: composeWorkflow(processControl as never, report as never) as unknown as Template.Template.Any,
  as_string: step("as_string", { limit: Schema.String }, {}),
  as_other_string: step("as_other_string", { limit: Schema.String }, {}),
  as_number: step("as_number", { limit: Schema.Number }, {}),
  as_literal: step("as_literal", { limit: Schema.Literal("low", "high") }, {}),
  writes_literal: step("writes_literal", {}, { level: Schema.Literal(1, 2) }),
  writes_number: step("writes_number", {}, { level: Schema.Number }),
  reads_level_number: step("reads_level_number", { level: Schema.Number }, {}),
  reads_level_literal: step("reads_level_literal", { level: Schema.Literal(1, 2) }, {}),
  a: step("a", { seed: Schema.Number }, { x: Schema.Number }),
  b: step("b", { x: Schema.Number }, { y: Schema.String }),
  c: step("c", { y: Schema.String, extra: Schema.Boolean }, { z: Schema.Boolean }),
  d: step("d", { x: Schema.Number, z: Schema.Boolean }, { done: Schema.Literal(true) }),
  y_as_number: step("y_as_number", { y: Schema.Number }, {}),
  first: step("first", {}, { v: Schema.String }),
  second: step("second", {}, { v: Schema.Number }),
  reads_v_number: step("reads_v_number", { v: Schema.Number }, {}),
  // Flow.test-d
  fix: part("fix", { equipmentId: Schema.String }, { action: Schema.String, ticket: Schema.Number }),
  keep: part("keep", {}, { action: Schema.Literal("none") }),
  reads_action: step("reads_action", { action: Schema.String }, { report: Schema.String }),
  reads_ticket: step("reads_ticket", { ticket: Schema.Number }, { closed: Schema.Boolean }),
  reads_ticket_if_any: step("reads_ticket_if_any", { ticket: Schema.optional(Schema.Number) }, { closed: Schema.Boolean }),
  probe_device: part("probe", { deviceId: Schema.String }, { ready: Schema.Boolean, polls: Schema.Number }),
  reads_polls: step("reads_polls", { polls: Schema.Number }, {}),
  reads_ready: step("reads_ready", { ready: Schema.Boolean }, {}),
  dec: step("dec", { n: Schema.Number }, { n: Schema.Number }),
  counts: step("counts", { n: Schema.Number }, { summary: Schema.String, more: Schema.Boolean }),
  reads_summary: step("reads_summary", { summary: Schema.String }, {}),
  summarize: step("summarize", { doc: Doc, language: Schema.String }, { summary: Schema.String, tokens: Schema.Number }),
  lists_docs: step("lists_docs", {}, { docs: Schema.Array(Doc) }),
  docs_as_text: step("docs_as_text", {}, { docs: Schema.String }),
  credit: step("credit", { customerId: Schema.String }, { creditScore: Schema.Number, score: Schema.Number }),
  fraud: step("fraud", { customerId: Schema.String, ip: Schema.String }, { fraudScore: Schema.Number, score: Schema.Number }),
  geo: step("geo", { ip: Schema.String }, { country: Schema.String }),
  reads_score: step("reads_score", { score: Schema.Number }, {}),
  reads_credit_score: step("reads_credit_score", { creditScore: Schema.Number }, {}),
  // Template.test-d
  writes_status: step("writes_status", { equipmentId: Schema.String }, { equipmentStatus: Status }),
  reads_status_as_string: step("reads_status_as_string", { equipmentStatus: Schema.String }, { report: Schema.String }),
  reads_status_as_number: step("reads_status_as_number", { equipmentStatus: Schema.Number }, { code: Schema.Number }),
  split: step("split", { text: Schema.String }, { words: Schema.Array(Schema.String) }),
  count: step("count", { words: Schema.Array(Schema.String) }, { wordCount: Schema.Number }),
  live_price: step("live_price", { sku: Schema.String }, { price: Schema.Number }),
  cached_price: step("cached_price", { sku: Schema.String }, { price: Schema.Number }),
  flat_price: step("flat_price", {}, { price: Schema.Literal(10), currency: Schema.String }),
  writes_cost: step("writes_cost", { sku: Schema.String }, { cost: Schema.Number }),
  price_as_string: step("price_as_string", { sku: Schema.String }, { price: Schema.String }),
  regional_price: step("regional_price", { sku: Schema.String, region: Schema.String }, { price: Schema.Number }),
  sku_as_number: step("sku_as_number", { sku: Schema.Number }, { price: Schema.Number }),
  inner: Template.make({
    name: "inner",
    version: "1",
    steps: [
      step("writes_status", { equipmentId: Schema.String }, { equipmentStatus: Status }),
      step("reads_status_as_string", { equipmentStatus: Schema.String }, { report: Schema.String })
    ] as never
  }) as unknown as Template.Template.Any,
  id_as_string: step("id_as_string", {}, { equipmentId: Schema.String }),
  id_as_number: step("id_as_number", {}, { equipmentId: Schema.Number }),
  // Durable.test-d
  reads_approval: step("reads_approval", { approval: Decision }, { done: Schema.Boolean }),
  reads_approval_as_string: step("reads_approval_as_string", { approval: Schema.String }, { done: Schema.Boolean }),
  reads_flag: step("reads_flag", { approval: Schema.Struct({ approved: Schema.Boolean }) }, {}),
  child: part("child", { text: Schema.String }, { score: Schema.Number }),
  reads_score_as_string: step("reads_score_as_string", { score: Schema.String }, {})
}
const registry: Yaml.Registry = { steps }

/** A flow `t` with these input lines and these step lines. */
const twin = (inputs: ReadonlyArray<string>, body: ReadonlyArray<string>) =>
  flow("name: t", "version: 1", ...(inputs.length === 0 ? [] : ["inputs:", ...inputs.map((l) => `  ${l}`)]), "steps:", ...body.map((l) => `  ${l}`))

const pcInputs = ["equipmentId: string", "processParams: { temperature: number }"]

// ---------------------------------------------------------------------------
// Compose.test-d.ts
// ---------------------------------------------------------------------------

describe("Compose.test-d.ts", () => {
  it("requiring equipmentStatus as a number after process_control", () => {
    load(twin(pcInputs, ["- use: process_control", "- use: write_report"]), registry)
    expectErrors(errorsOf(twin(pcInputs, ["- use: process_control", "- use: needs_number"]), registry), [
      ["8:10", `step "needs_number" reads "equipmentStatus" as number, but it is "ok" | "degraded" | "down" here (written by step "process_control" (line 7))`]
    ])
  })

  it("two parts requiring the same outside key with incompatible types (an input is declared once, with one type)", () => {
    load(twin(["limit: string"], ["- use: as_string", "- use: as_other_string"]), registry)
    expectErrors(errorsOf(twin(["limit: string"], ["- use: as_string", "- use: as_number"]), registry), [
      ["7:10", `step "as_number" reads "limit" as number, but it is string here (written by the input)`]
    ])
  })

  it("a provided value narrower than the requirement is accepted, a wider one is not", () => {
    load(twin([], ["- use: writes_literal", "- use: reads_level_number"]), registry)
    load(twin([], ["- use: writes_literal", "- use: reads_level_literal"]), registry)
    expectErrors(errorsOf(twin([], ["- use: writes_number", "- use: reads_level_literal"]), registry), [
      ["5:10", `step "reads_level_literal" reads "level" as 1 | 2, but it is number here`]
    ])
  })

  it("a skippable step's keys may be missing: a later step requiring them is refused", () => {
    load(twin(["equipmentId: string"], ["- use: probe_status", "- use: reads_optional"]), registry)
    expectErrors(errorsOf(twin(["equipmentId: string"], ["- use: probe_status", "- use: write_report"]), registry), [
      ["7:10", `step "write_report" reads "equipmentStatus", but it may be missing here: step "probe_status" (line 6) may not have run`]
    ])
    // the same with onError: skip written in YAML
    expectErrors(
      errorsOf(twin(pcInputs, ["- use: validate_inputs", "- use: check_equipment_status", "  onError: skip", "- use: write_report"]), registry),
      [["10:10", `step "write_report" reads "equipmentStatus", but it may be missing here`]]
    )
  })

  it("a composite is checked against its neighbours like any part", () => {
    load(twin(pcInputs, ["- use: composite", "- use: write_report", "  id: again"]), registry)
    expectErrors(errorsOf(twin(pcInputs, ["- use: composite", "- use: needs_number"]), registry), [
      ["8:10", `step "needs_number" reads "equipmentStatus" as number, but it is "ok" | "degraded" | "down" here (written by step "composite" (line 7))`]
    ])
  })

  it("three or more parts: each is checked against everything before it", () => {
    const inputs = ["seed: number", "extra: boolean"]
    load(twin(inputs, ["- use: a", "- use: b", "- use: c", "- use: d"]), registry)
    expectErrors(errorsOf(twin(inputs, ["- use: a", "- use: b", "- use: c", "- use: d", "- use: y_as_number"]), registry), [
      ["11:10", `step "y_as_number" reads "y" as number, but it is string here (written by step "b" (line 8))`]
    ])
  })

  it("a later write replaces the provided type", () => {
    load(twin([], ["- use: first", "- use: second", "- use: reads_v_number"]), registry)
    expectErrors(errorsOf(twin([], ["- use: second", "- use: first", "- use: reads_v_number"]), registry), [
      ["6:10", `step "reads_v_number" reads "v" as number, but it is string here (written by step "first" (line 5))`]
    ])
  })

  it("input missing a key: a key nobody provides", () => {
    load(twin(pcInputs, ["- use: validate_inputs"]), registry)
    expectErrors(errorsOf(twin(["equipmentId: string"], ["- use: validate_inputs"]), registry), [
      ["6:10", `step "validate_inputs" reads "processParams" ({ temperature: number }), but nothing provides it here`]
    ])
  })

  it("input with a key of the wrong type", () => {
    load(twin(["equipmentId: string"], ["- use: validate_inputs", "  with: { processParams: { temperature: 320 } }"]), registry)
    expectErrors(
      errorsOf(twin(["equipmentId: string"], ["- use: validate_inputs", "  with: { processParams: { temperature: hot } }"]), registry),
      [["7:28", `"processParams" of step "validate_inputs" (validate_inputs) is { temperature: number }; {"temperature":"hot"} is not one (└─ Expected number, actual "hot")`]]
    )
  })

})

// ---------------------------------------------------------------------------
// Flow.test-d.ts
// ---------------------------------------------------------------------------

describe("Flow.test-d.ts", () => {
  const route = (then: string, otherwise: string) => [
    "- use: probe_status",
    "  onError: fail",
    "- id: route",
    "  branch:",
    "    if: equipmentStatus != 'ok'",
    `    then: [{ use: ${then} }]`,
    `    else: [{ use: ${otherwise} }]`
  ]

  it("a later step that requires a key only one arm provides", () => {
    load(twin(["equipmentId: string"], [...route("fix", "keep"), "- use: reads_action"]), registry)
    load(twin(["equipmentId: string"], [...route("fix", "keep"), "- use: reads_ticket_if_any"]), registry)
    expectErrors(errorsOf(twin(["equipmentId: string"], [...route("fix", "keep"), "- use: reads_ticket"]), registry), [
      ["13:10", `step "reads_ticket" reads "ticket", but it may be missing here: step "fix" (line 11) or step "route" (line 8) may not have run`]
    ])
  })

  it("two arms requiring the same outside key with incompatible types", () => {
    const arms = (a: string, b: string) => ["- id: r", "  branch:", "    if: true", `    then: [{ use: ${a} }]`, `    else: [{ use: ${b} }]`]
    load(twin([`limit: '"low" | "high"'`], arms("as_string", "as_literal")), registry)
    expectErrors(errorsOf(twin(["limit: string"], arms("as_string", "as_number")), registry), [
      ["10:21", `step "as_number" reads "limit" as number, but it is string here`]
    ])
  })

  it("the predicate is typed by what the state holds, and must be a boolean", () => {
    const branch = (condition: string) => ["- id: r", "  branch:", `    if: ${condition}`, "    then: [{ use: keep }]"]
    const inputs = [`status: '"ok" | "degraded" | "down"'`]
    load(twin(inputs, branch(`status == 'down'`)), registry)
    expectErrors(errorsOf(twin(inputs, branch("status > 1")), registry), [
      ["8:11", `">" compares two numbers or two texts, not "ok" | "degraded" | "down" and 1`]
    ])
    expectErrors(errorsOf(twin(inputs, branch("status")), registry), [
      ["8:11", `the condition of branch "r" must be a boolean, but it is "ok" | "degraded" | "down"`]
    ])
  })

  it("match: the selector returns an arm's label", () => {
    const match = ["- id: triage", "  branch:", "    on: mode", "    cases:", "      keep: [{ use: keep }]", "      fix: [{ use: keep, id: k2 }]"]
    load(twin([`mode: '"keep" | "fix"'`], match), registry)
    expectErrors(errorsOf(twin([`mode: '"keep" | "repair"'`], match), registry), [
      ["8:11", `the selector of branch "triage" may be "repair", which is not a case`]
    ])
  })

  const loop = (check: string) => [
    "- id: l",
    "  loop:",
    "    while: not ready",
    `    check: ${check}`,
    "    maxIterations: 3",
    "    steps: [{ use: probe_device }]"
  ]

  it("checked before each iteration: what the body provides may be missing after (unless also there before)", () => {
    const inputs = ["ready: boolean", "deviceId: string"]
    load(twin(inputs, [...loop("before"), "- use: reads_ready"]), registry)
    expectErrors(errorsOf(twin(inputs, [...loop("before"), "- use: reads_polls"]), registry), [
      ["13:10", `step "reads_polls" reads "polls", but it may be missing here`]
    ])
    // checked after each iteration, the body's keys are there
    load(twin(["deviceId: string"], [...loop("after"), "- use: reads_polls"]), registry)
  })

  it("a key written before the loop stays provided after it (regression twin)", () => {
    const body = (earlier: boolean) => [
      ...(earlier ? ["- use: counts"] : []),
      "- id: l",
      "  loop:",
      "    while: more",
      "    maxIterations: 5",
      "    steps: [{ use: dec }, { use: counts, id: again }]",
      "- use: reads_summary"
    ]
    load(twin(["n: number", "more: boolean"], body(true)), registry)
    expectErrors(errorsOf(twin(["n: number", "more: boolean"], body(false)), registry), [
      ["12:10", `step "reads_summary" reads "summary", but it may be missing here`]
    ])
  })

  it("a body that writes what the predicate reads with another type", () => {
    const probeLoop = (condition: string) => ["- id: l", "  loop:", `    while: ${condition}`, "    maxIterations: 3", "    steps: [{ use: probe_device }]"]
    const inputs = ["deviceId: string", "polls: number"]
    load(twin(inputs, probeLoop("polls < 3")), registry)
    // the predicate reads polls as a text; the body writes a number
    expectErrors(errorsOf(twin(["deviceId: string", "polls: string"], probeLoop("len(polls) < 3")), registry), [
      ["9:18", `len needs a list or a text, got string | number`]
    ])
    expectErrors(errorsOf(twin(inputs, probeLoop(`ready == 'no'`)), registry), [
      ["9:14", `ready (boolean | undefined) and "no" ("no") have no value in common: this comparison is always false`]
    ])
  })

  const each = (over: string, as: string, collect: string) => [
    "- id: each",
    "  forEach:",
    `    over: ${over}`,
    `    as: ${as}`,
    `    collect: ${collect}`,
    "    into: summaries",
    "    concurrency: 4",
    "    steps: [{ use: summarize }]"
  ]

  it("a forEach over a key upstream provides as something other than a list", () => {
    load(twin(["language: string"], ["- use: lists_docs", ...each("docs", "doc", "summary")]), registry)
    expectErrors(errorsOf(twin(["language: string"], ["- use: docs_as_text", ...each("docs", "doc", "summary")]), registry), [
      ["9:13", `forEach "each" goes over "docs", but it is string here, not a list`]
    ])
  })

  it("`as` must be a key the body reads and `collect` a key it writes", () => {
    expectErrors(errorsOf(twin(["language: string"], ["- use: lists_docs", ...each("docs", "document", "summary")]), registry), [
      ["10:11", `the steps of forEach "each" never read "document"`],
      ["14:22", `step "summarize" reads "doc" ({ id: number; text: string }), but nothing provides it here`]
    ])
    expectErrors(errorsOf(twin(["language: string"], ["- use: lists_docs", ...each("docs", "doc", "title")]), registry), [
      ["11:16", `the steps of forEach "each" do not write "title"`]
    ])
  })

  const parallel = (branches: string, extra: ReadonlyArray<string> = []) => [
    "- id: p",
    "  parallel:",
    `    branches: ${branches}`,
    ...extra.map((l) => `    ${l}`)
  ]

  it("two branches providing the same key need a merge function", () => {
    const inputs = ["customerId: string", "ip: string"]
    load(twin(inputs, parallel("{ credit: [{ use: credit }], fraud: [{ use: fraud }] }", ["merge: { score: max }"])), registry)
    expectErrors(errorsOf(twin(inputs, parallel("{ credit: [{ use: credit }], fraud: [{ use: fraud }] }")), registry), [
      ["9:7", `branches "credit" and "fraud" of parallel "p" all write "score": give it a merge function`]
    ])
  })

  it("a merge function is only for keys that clash, and is typed by them", () => {
    const inputs = ["customerId: string", "ip: string"]
    expectErrors(errorsOf(twin(inputs, parallel("{ credit: [{ use: credit }], geo: [{ use: geo }] }", ["merge: { country: first }"])), registry), [
      ["10:16", `"country" is written by branch "geo" only: a merge is only for a key several branches write`]
    ])
    expectErrors(errorsOf(twin(inputs, parallel("{ credit: [{ use: credit }], fraud: [{ use: fraud }] }", ["merge: { score: concat }"])), registry), [
      ["10:23", `merge "concat" needs lists, but the branches write "score" as number`]
    ])
  })

  it("mode first: a key only some branches write may be missing", () => {
    const inputs = ["customerId: string", "ip: string"]
    const race = parallel("{ credit: [{ use: credit }], fraud: [{ use: fraud }] }", ["mode: first"])
    load(twin(inputs, [...race, "- use: reads_score"]), registry)
    expectErrors(errorsOf(twin(inputs, [...race, "- use: reads_credit_score"]), registry), [
      ["11:10", `step "reads_credit_score" reads "creditScore", but it may be missing here: step "credit" (line 9) or step "p" (line 7) may not have run`]
    ])
  })

  it("flow nodes composed with composeWorkflow keep the checks (Yaml.compose)", () => {
    const decide = load(twin(["equipmentId: string"], route("fix", "keep")), registry)
    const close = Template.make({ name: "close", version: "1", steps: [steps.reads_ticket] as never }) as unknown as Template.Template.Any
    const reportT = Template.make({ name: "report", version: "1", steps: [steps.reads_action] as never }) as unknown as Template.Template.Any
    Effect.runSync(Yaml.compose(decide, reportT))
    const error = Effect.runSync(Effect.flip(Yaml.compose(decide, close)))
    expect(error.problems).toEqual([{ part: "close", message: expect.stringContaining(`close/reads_ticket reads "ticket", but it may be missing here`) }])
  })
})

// ---------------------------------------------------------------------------
// Template.test-d.ts
// ---------------------------------------------------------------------------

describe("Template.test-d.ts", () => {
  it("a step requiring a key an earlier step wrote with an incompatible type", () => {
    load(twin(["equipmentId: string"], ["- use: writes_status", "- use: reads_status_as_string"]), registry)
    expectErrors(errorsOf(twin(["equipmentId: string"], ["- use: writes_status", "- use: reads_status_as_number"]), registry), [
      ["7:10", `step "reads_status_as_number" reads "equipmentStatus" as number, but it is "ok" | "degraded" | "down" here (written by step "writes_status" (line 6))`]
    ])
  })

  it("two steps reading the same outside key with incompatible types", () => {
    load(twin([`limit: '"low" | "high"'`], ["- use: as_string", "- use: as_literal"]), registry)
    expectErrors(errorsOf(twin([`limit: '"low" | "high"'`], ["- use: as_string", "- use: as_number"]), registry), [
      ["7:10", `step "as_number" reads "limit" as number, but it is "low" | "high" here`]
    ])
  })

  it("local keys must be written by the flow's steps", () => {
    const counter = (local: string) => flow("name: counter", "version: 1", "inputs: { text: string }", `local: ${local}`, "steps:", "  - use: split", "  - use: count")
    expect(load(counter("[words]"), registry).providedState).toEqual(["wordCount"])
    load(counter("[words, wordCount]"), registry)
    expectErrors(errorsOf(counter("[sentences]"), registry), [["4:9", `local key "sentences" is written by none of the flow's steps`]])
    expectErrors(errorsOf(counter("[text]"), registry), [["4:9", `local key "text" is written by none of the flow's steps`]])
  })

  it("a later template requiring a dropped key gets it as a requirement: Yaml.compose", () => {
    const counter = load(flow("name: counter", "version: 1", "inputs: { text: string }", "local: [words]", "steps:", "  - use: split", "  - use: count"), registry)
    const keeps = load(flow("name: keeps", "version: 1", "inputs: { text: string }", "steps:", "  - use: split", "  - use: count"), registry)
    const recount = part("recount", { words: Schema.Array(Schema.Number) }, { again: Schema.Number })
    const composite = Effect.runSync(Yaml.compose(counter, recount))
    expect(composite.requiredState).toEqual(["text", "words"])
    const error = Effect.runSync(Effect.flip(Yaml.compose(keeps, recount)))
    expect(error.message).toContain(`recount/recount reads "words" as number[], but it is string[] here (written by part "keeps")`)
  })

  const fallback = (to: string) => ["- use: live_price", `  onError: { fallback: ${to} }`]

  it("a fallback must write what the primary writes, with a compatible type", () => {
    load(twin(["sku: string"], fallback("cached_price")), registry)
    load(twin(["sku: string"], fallback("flat_price")), registry)
    expectErrors(errorsOf(twin(["sku: string"], fallback("writes_cost")), registry), [
      ["7:26", `the fallback "writes_cost" does not write "price", which step "live_price" writes`]
    ])
    expectErrors(errorsOf(twin(["sku: string"], fallback("price_as_string")), registry), [
      ["7:26", `the fallback "price_as_string" writes "price" as string, but step "live_price" writes it as number`]
    ])
  })

  it("a fallback reading a key the primary does not read", () => {
    expectErrors(errorsOf(twin(["sku: string", "region: string"], fallback("regional_price")), registry), [
      ["8:26", `the fallback "regional_price" reads "region", which step "live_price" does not read`]
    ])
    expectErrors(errorsOf(twin(["sku: string"], fallback("sku_as_number")), registry), [
      ["7:26", `fallback "sku_as_number" of step "live_price" reads "sku" as number, but it is string here`]
    ])
  })

  it("templates used as steps are checked against the steps around them", () => {
    load(twin(["equipmentId: string"], ["- use: inner", "- use: reads_status_as_string"]), registry)
    expectErrors(errorsOf(twin(["equipmentId: string"], ["- use: inner", "- use: reads_status_as_number"]), registry), [
      ["7:10", `step "reads_status_as_number" reads "equipmentStatus" as number, but it is "ok" | "degraded" | "down" here (written by step "inner" (line 6))`]
    ])
    load(twin([], ["- use: id_as_string", "- use: inner"]), registry)
    expectErrors(errorsOf(twin([], ["- use: id_as_number", "- use: inner"]), registry), [
      ["5:10", `inner/writes_status reads "equipmentId" as string, but it is number here (written by step "id_as_number" (line 4))`]
    ])
  })
})

// ---------------------------------------------------------------------------
// Durable.test-d.ts and State.test-d.ts
// ---------------------------------------------------------------------------

describe("Durable.test-d.ts", () => {
  const wait = ["- id: approval", "  waitForSignal:", "    payload: { approved: boolean, by: string }"]

  it("a later step reading the signal's key with an incompatible type", () => {
    load(twin([], [...wait, "- use: reads_approval"]), registry)
    load(twin([], [...wait, "- use: reads_flag"]), registry)
    expectErrors(errorsOf(twin([], [...wait, "- use: reads_approval_as_string"]), registry), [
      ["7:10", `step "reads_approval_as_string" reads "approval" as string, but it is { approved: boolean; by: string } here`]
    ])
  })

  it("the same across templates composed at run time", () => {
    const waits = load(twin([], wait), registry)
    Effect.runSync(Yaml.compose(waits, part("good", { approval: Decision }, {})))
    const error = Effect.runSync(Effect.either(Yaml.compose(waits, part("bad", { approval: Schema.String }, {}))))
    expect(Either.isLeft(error) && error.left.message).toContain(`bad/bad reads "approval" as string`)
  })

  it("the default value must have the payload's type", () => {
    const withDefault = (value: string) => twin([], [...wait, "    timeout: 1 hour", `    default: ${value}`])
    load(withDefault("{ approved: false, by: nobody }"), registry)
    expectErrors(errorsOf(withDefault("{ approved: no, by: nobody }"), registry), [["8:16", "the default is not a valid payload ({ approved: boolean; by: string })"]])
  })

  it("a sub-flow's result is wired to later steps like a step's", () => {
    load(twin(["text: string"], ["- subflow: child", "- use: reads_score"]), registry)
    expectErrors(errorsOf(twin(["text: string"], ["- subflow: child", "- use: reads_score_as_string"]), registry), [
      ["7:10", `step "reads_score_as_string" reads "score" as string, but it is number here (written by step "child" (line 6))`]
    ])
  })
})

describe("State.test-d.ts", () => {
  it("a reference to a key the state does not have", () => {
    const reads = (ref: string) => twin([...pcInputs, "y: string"], ["- use: validate_inputs", "- use: c", `  with: { extra: '${ref}' }`])
    load(reads("${steps.validate_inputs.validated}"), registry)
    expectErrors(errorsOf(reads("${steps.validate_inputs.report}"), registry), [
      ["10:45", `step "validate_inputs" does not write "report"; it writes "validated"`]
    ])
    expectErrors(errorsOf(reads("${report}"), registry), [["10:23", `nothing provides "report" here`]])
  })
})

describe("the type tests' checks hold for YAML-loaded templates too", () => {
  it("Yaml.compose refuses what composeWorkflow refuses at compile time", () => {
    Effect.runSync(Yaml.compose(processControl, report))
    const error = Effect.runSync(Effect.flip(Yaml.compose(processControl, wrong)))
    expect(error.problems).toEqual([{
      part: "wrong",
      message: `wrong/needs_number reads "equipmentStatus" as number, but it is "ok" | "degraded" | "down" here (written by part "process_control")`
    }])
    const conflict = Effect.runSync(Effect.flip(Yaml.compose(part("as_string", { limit: Schema.String }, {}), part("as_number", { limit: Schema.Number }, {}))))
    expect(conflict.message).toContain(`"limit" is read as string by as_string/as_string and as number by as_number/as_number: no value is both`)
    const narrowed = Effect.runSync(Yaml.compose(part("wide", { mode: Schema.String }, {}), part("narrow", { mode: Schema.Literal("a", "b") }, {})))
    expect(narrowed.requiredState).toEqual(["mode"])
  })

  it("a durable wait composed in code keeps its type for the YAML check", () => {
    const waits = Template.make({
      name: "waits",
      version: "1",
      steps: [Durable.waitForSignal("approval", Decision)]
    }) as unknown as Template.Template.Any
    const error = Effect.runSync(Effect.flip(Yaml.compose(waits, part("bad", { approval: Schema.String }, {}))))
    expect(error.message).toContain(`reads "approval" as string, but it is { approved: boolean; by: string } here`)
    expect(Step.isStep(steps.live_price)).toBe(true)
  })
})
