/**
 * The built-in steps of YAML flows: `read:`, `write:`, `transform:`,
 * `validate:` and `command:` (a program on the allow-list) run end to end;
 * `output:` names the key they write; every problem is refused at load time
 * at its position.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Errors, Testing } from "weftjs"
import type { Yaml } from "weftjs/yaml"
import { errorsOf, expectErrors, flow, load } from "./support.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }
const files = mkdtempSync(join(tmpdir(), "weft-yaml-builtins-"))
afterAll(() => rmSync(files, { recursive: true, force: true }))
writeFileSync(join(files, "items.json"), JSON.stringify([{ sku: "a", qty: 2, price: 1.5 }, { sku: "b", qty: 1, price: 4 }]))
writeFileSync(join(files, "config.yaml"), "threshold: 3\nname: shop\n")

const registry: Yaml.Registry = { steps: {}, builtins: { files, commands: [process.execPath] } }

describe("built-in steps in YAML flows", () => {
  it.effect("read, transform, validate and write run end to end; output names the key", () =>
    Effect.gen(function*() {
      const source = flow(
        "name: files",
        "version: 1",
        "inputs: { out: string }",
        "types:",
        "  Line: { sku: string, qty: integer, price: number }",
        "steps:",
        "  - id: items",
        "    read: { path: items.json, type: \"Line[]\" }",
        "  - id: config",
        "    read: { path: config.yaml, type: { threshold: number, name: string } }",
        "  - id: total",
        "    transform: ${config.threshold * 2 + 1}",
        "  - id: summary",
        "    transform:",
        "      shop: ${config.name}",
        "      total: ${total}",
        "      big: ${total > config.threshold}",
        "  - id: checked",
        "    validate: { value: \"${summary}\", type: { shop: string, total: number, big: boolean } }",
        "    output: report",
        "  - write: { path: \"out/${inputs.out}.json\", value: \"${report}\" }",
        "    output: written"
      )
      const result = yield* Testing.runTemplate(load(source, registry), { out: "report" })
      expect(result.state).toMatchObject({ total: 7, report: { shop: "shop", total: 7, big: true }, written: "out/report.json" })
      expect(JSON.parse(readFileSync(join(files, "out/report.json"), "utf8"))).toEqual({ shop: "shop", total: 7, big: true })
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("validate fails the run with ValueInvalid naming the field; onError: skip goes on", () =>
    Effect.gen(function*() {
      const source = (onError: string) =>
        flow(
          "name: check",
          "version: 1",
          "inputs: { raw: unknown }",
          "steps:",
          "  - id: checked",
          "    validate: { value: \"${raw}\", type: { n: number } }",
          ...(onError === "" ? [] : [`    onError: ${onError}`]),
          "  - id: after",
          "    transform: ${checked.n ?? -1}"
        )
      const error = yield* Effect.flip(Testing.runTemplate(load(source(""), registry), { raw: { n: "x" } }))
      expect(error).toBeInstanceOf(Errors.ValueInvalid)
      expect((error as Errors.ValueInvalid).keys).toEqual(["n"])
      const skipped = yield* Testing.runTemplate(load(source("skip"), registry), { raw: { n: "x" } })
      expect(skipped.state["after"]).toBe(-1)
    }).pipe(Effect.provide(Testing.layer(settings))))

  it("a read or write out of the folder, a file step without one, a missing value: refused at their positions", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "steps:",
          "  - id: a",
          "    read: { path: ../etc/passwd }",
          "  - id: b",
          "    read: { path: /etc/passwd, format: xml }",
          "  - id: c",
          "    write: { path: out.json }",
          "  - id: d",
          "    validate: { value: 1, type: string }"
        ),
        registry
      ),
      [
        ["5:19", `the path "../etc/passwd" leads out of the folder for files`],
        ["7:19", `the path "/etc/passwd" leads out of the folder for files`],
        ["7:40", `format is one of "json", "jsonl", "yaml" and "text"`],
        ["9:12", `the write of step "c" needs "value:"`],
        ["11:24", `the value of step "d" does not match its type`]
      ]
    )
    expectErrors(errorsOf(flow("name: x", "version: 1", "steps:", "  - read: { path: a.json }"), { steps: {} }), [
      ["4:11", `read steps need a folder for files: set it in the project file`]
    ])
  })

  it("output: a key of another type at that point is an error at its position", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { total: number }",
          "steps:",
          "  - transform: \"${'text'}\"",
          "    output: total"
        ),
        registry
      ),
      [["6:13", `step "transform" writes "total" as "text", but "total" is number here (written by the input): give it another name`]]
    )
  })

  it("command: only allow-listed programs; the program written out", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { p: string }",
          "steps:",
          "  - id: a",
          "    command: { program: rm, args: [-rf, /] }",
          "  - id: b",
          "    command: { program: \"${p}\" }",
          "  - id: c",
          "    command: { program: node, args: \"-v\", env: { 1X: a }, parse: xml }",
          "  - id: d",
          "    command: { program: node, inherit: [HOME, HOEM], secrets: [TOKEN] }"
        ),
        { steps: {}, builtins: { commands: ["node", "python3"], env: ["HOME"] } }
      ),
      [
        ["6:25", `program "rm" is not allowed: the project file allows only "node" and "python3"`],
        ["8:25", `the program of step "b" must be a text written out (no \${...})`],
        ["10:37", `the args of step "c" are a list`],
        ["10:50", `"1X" is not a variable name`],
        ["10:66", `parse is "json" or "text"`],
        ["12:47", `variable "HOEM" may not be passed on (did you mean "HOME"?): the project file allows only "HOME"`],
        ["12:64", `variable "TOKEN" may not be passed on: the project file allows only "HOME"`]
      ]
    )
    expectErrors(errorsOf(flow("name: x", "version: 1", "steps:", "  - command: { program: ls }"), { steps: {} }), [
      ["4:25", `program "ls" is not allowed: no program is (list the ones command steps may run in the project file`]
    ])
  })

  it("http: method, url, headers and body checked at their positions", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { n: number, maybe?: string }",
          "steps:",
          "  - id: a",
          "    http: { method: fetch, url: ftp://x }",
          "  - id: b",
          "    http: { url: \"${maybe}\", headers: { \"bad header\": x }, body: { n: 1 } }",
          "  - id: c",
          "    http: { method: post, retries: -1 }"
        ),
        registry
      ),
      [
        ["6:21", `method is one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" and "OPTIONS"`],
        ["6:33", `the url "ftp://x" is not an http:// or https:// URL`],
        ["8:18", `the url of step "b" may be missing here`],
        ["8:41", `"bad header" is not a header name`],
        ["8:60", `a GET request has no body`],
        ["10:11", `the http of step "c" needs "url:"`],
        ["10:36", `retries must be a whole number from 0`]
      ]
    )
  })
})
