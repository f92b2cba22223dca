/**
 * `Yaml.jsonSchema(registry)`: the JSON Schema of the flow format for the
 * registered steps, checked with a small validator of the keywords it uses
 * against flows that are right and flows that are wrong.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { parse } from "yaml"
import { Yaml } from "weftjs/yaml"
import { folder, registry } from "../../examples/yaml/registry.js"
import { type JsonSchema, unsupported, validate } from "./jsonSchemaValidator.js"

const schema = Yaml.jsonSchema(registry) as JsonSchema

const check = (yaml: string) => validate(schema, parse(yaml))

describe("the JSON Schema of the format", () => {
  it("uses only keywords the validator knows", () => {
    expect(unsupported(schema)).toEqual([])
  })

  it("the validator itself fails what it should", () => {
    const s: JsonSchema = { type: "object", required: ["a"], additionalProperties: false, properties: { a: { enum: [1, 2] } } }
    expect(validate(s, { a: 1 })).toEqual([])
    expect(validate(s, { a: 3 })).toEqual(["$.a: not one of [1,2]"])
    expect(validate(s, {})).toEqual([`$: missing "a"`])
    expect(validate(s, { a: 1, b: 2 })).toEqual(["$.b: no value is allowed here"])
    expect(() => validate({ if: true }, 1)).toThrow(`unsupported keyword "if"`)
  })

  it("names every registered step in an enum, and each step's with: keys with their types", () => {
    const definitions = (schema as { readonly definitions: Record<string, { readonly enum?: ReadonlyArray<string>; readonly anyOf?: ReadonlyArray<unknown> }> })
      .definitions
    expect(definitions["weft.stepName"]?.enum).toEqual(Object.keys(registry.steps))
    const use = definitions["weft.step"]?.anyOf?.find((alternative) =>
      JSON.stringify(alternative).includes(`"use":{"const":"check_order"}`)
    ) as { readonly properties: { readonly with: { readonly properties: Record<string, unknown> } } }
    expect(Object.keys(use.properties.with.properties)).toEqual(["order"])
    expect(JSON.stringify(use.properties.with.properties["order"])).toContain(`"paymentToken"`)
  })

  it("the example flows are valid", () => {
    for (const file of ["order-processing.yaml", "data-quality.yaml"]) {
      expect(validate(schema, parse(readFileSync(`${folder}${file}`, "utf8"))), file).toEqual([])
    }
  })

  it("a flow with a misspelt step, a with: key the step does not read, a value of the wrong type, is invalid", () => {
    const good = [
      "name: x",
      "version: 1",
      "inputs: { datasetId: string }",
      "steps:",
      "  - use: load_dataset",
      "    with: { datasetId: '${inputs.datasetId}' }",
      "    retry: { count: 2, delay: 1s, backoff: exponential }",
      "  - id: clean",
      "    loop:",
      "      while: len(readings) > 0",
      "      maxIterations: 3",
      "      steps: [{ use: fix_anomalies }]"
    ].join("\n")
    expect(check(good)).toEqual([])
    expect(check(good.replace("use: load_dataset", "use: load_datset")).length).toBeGreaterThan(0)
    expect(check(good.replace("with: { datasetId:", "with: { datasetID:")).length).toBeGreaterThan(0)
    expect(check(good.replace("'${inputs.datasetId}'", "42")).length).toBeGreaterThan(0)
    expect(check(good.replace("      maxIterations: 3\n", "")).length).toBeGreaterThan(0)
    expect(check(good.replace("delay: 1s", "delay: soon")).length).toBeGreaterThan(0)
    expect(check(good.replace("version: 1", "version: 1\nverison: 2"))).toEqual(["$.verison: no value is allowed here"])
  })

  it("covers the built-in kinds, output:/as: and if: (examples/batch/batch.yaml is valid; mistakes are not)", () => {
    const batch = Yaml.jsonSchema({ steps: {}, builtins: { commands: ["node"] } }) as JsonSchema
    const flow = readFileSync(`${folder}../batch/batch.yaml`, "utf8")
    expect(unsupported(batch)).toEqual([])
    expect(validate(batch, parse(flow))).toEqual([])
    expect(validate(batch, parse(flow.replace("program: node", "program: rm"))).length).toBeGreaterThan(0)
    expect(validate(batch, parse(flow.replace("parse: json", "parse: xml"))).length).toBeGreaterThan(0)
    expect(validate(batch, parse(flow.replace("read: { path:", "read: { file:"))).length).toBeGreaterThan(0)
    expect(validate(batch, parse(flow.replace("validate: { value:", "validate: { vaule:"))).length).toBeGreaterThan(0)
    expect(validate(batch, parse(flow.replace("onError: skip", "onError: skip\n          output: 3"))).length).toBeGreaterThan(0)
    const http = "name: x\nversion: 1\nsteps:\n  - http: { method: post, url: 'https://x.example/a', body: { a: 1 }, retries: 2, type: { a: number } }\n    as: reply\n    if: true"
    expect(validate(batch, parse(http))).toEqual([])
    expect(validate(batch, parse(http.replace("method: post", "method: FETCH"))).length).toBeGreaterThan(0)
  })

  it("examples/yaml/flow.schema.json is the schema of the example registry (npm run example -- yaml schema writes it)", () => {
    expect(JSON.parse(readFileSync(`${folder}flow.schema.json`, "utf8"))).toEqual(JSON.parse(JSON.stringify(schema)))
  })
})
