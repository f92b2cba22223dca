/**
 * The project file's `yaml:` (what the built-in steps of its YAML flows may
 * do): the programs `command:` steps may run and the folder for files
 * (relative to the project file), checked when the project loads; a flow
 * that runs another program is refused with its position.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { type Template, Testing } from "weftjs"
import { Project } from "weftjs/cli"

const base = mkdtempSync(join(tmpdir(), "weft-project-yaml-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))

let n = 0
/** A project folder with a project file (its default export as JSON) and files. */
const project = (config: unknown, files: Readonly<Record<string, string>>) => {
  const dir = join(base, `p${n++}`)
  mkdirSync(join(dir, "data"), { recursive: true })
  writeFileSync(join(dir, "weft.config.mjs"), `export default ${JSON.stringify(config)}\n`)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const flow = [
  "name: sizes",
  "version: 1",
  "steps:",
  "  - id: items",
  "    read: { path: items.json, type: \"number[]\" }",
  "  - id: count",
  "    command: { program: node, args: [-e, \"process.stdout.write('3')\"], parse: json, type: number }",
  "    if: false",
  "  - id: total",
  "    transform: ${items[0] ?? 0}"
].join("\n")

describe("the project file's yaml:", () => {
  it.effect("gives YAML flows their allowed programs and their folder for files (relative to the project file)", () =>
    Effect.gen(function*() {
      const dir = project({ flows: ["flow.yaml"], yaml: { commands: ["node"], files: "data", env: ["HOME"] } }, { "flow.yaml": flow })
      writeFileSync(join(dir, "data", "items.json"), "[4, 5]")
      const loaded = yield* Project.load({ cwd: dir })
      expect(loaded.builtins).toEqual({ commands: ["node"], files: join(dir, "data"), env: ["HOME"], dir })
      const template = loaded.templates[0] as unknown as Template.Template<Record<string, unknown>, Record<string, unknown>>
      const result = yield* Testing.runTemplate(template, {})
      expect(result.state["total"]).toBe(4)
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.infinity }))))

  it.effect("a flow running a program the project does not allow, or using files without a folder, is refused at its position", () =>
    Effect.gen(function*() {
      const dir = project({ flows: ["flow.yaml"], yaml: { commands: ["python3"] } }, { "flow.yaml": flow })
      const error = yield* Effect.flip(Project.load({ cwd: dir }))
      expect(error.reason).toBe("invalid-flow")
      expect(error.detail).toContain(`flow.yaml:5:11: read steps need a folder for files`)
      expect(error.detail).toContain(`flow.yaml:7:25: program "node" is not allowed: the project file allows only "python3"`)
    }))

  it.effect("a bad yaml: is refused naming the field", () =>
    Effect.gen(function*() {
      for (const [yaml, message] of [
        [["node"], `"yaml" must be an object ({ commands, files }), got an array`],
        [{ commands: "node" }, `"yaml.commands" must be an array of program names or paths (strings)`],
        [{ commands: [""] }, `"yaml.commands" must be an array of program names or paths (strings)`],
        [{ files: 3 }, `"yaml.files" must be a folder (a string)`],
        [{ env: ["A B"] }, `"yaml.env" must be an array of variable names (letters, digits and "_")`],
        [{ program: "node" }, `unknown field "yaml.program" (expected yaml.commands, yaml.files, yaml.env)`]
      ] as const) {
        const error = yield* Effect.flip(Project.load({ cwd: project({ yaml }, {}) }))
        expect(error.reason).toBe("bad-export")
        expect(error.detail).toBe(message)
      }
    }))
})
