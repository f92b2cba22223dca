/**
 * The README's YAML flows section shows one flow twice: as a file (a
 * ```yaml block, with comments) and as the string its ```ts block loads and
 * runs. They must be the same flow, or the README would show one thing and
 * check another. The batch flow of its built-in steps is the example's file.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { parse } from "yaml"

const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8")

describe("README: YAML flows", () => {
  it("the yaml block and the string the ts block runs are the same flow", () => {
    const file = /```yaml\n# maintenance\.yaml\n([\s\S]*?)```/.exec(readme)?.[1]
    const string = /const maintenanceYaml = `([\s\S]*?)`\n/.exec(readme)?.[1]?.replaceAll("\\${", "${")
    expect(file).toBeDefined()
    expect(string).toBeDefined()
    expect(parse(string!)).toEqual(parse(file!))
    expect(parse(file!).name).toBe("maintenance")
  })

  it("the batch flow it shows is examples/batch/batch.yaml", () => {
    const shown = /```yaml\n# batch\.yaml\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(shown).toBeDefined()
    const file = readFileSync(resolve(__dirname, "../../examples/batch/batch.yaml"), "utf8")
    expect(parse(shown!)).toEqual(parse(file))
  })
})
