/**
 * The `weft` bin as installed from npm: the package built as `npm run build`
 * builds it (`dist/`, built once by the `system` project's global setup,
 * `test/setup/dist.ts`), its `dist/cli/bin.js` run with plain
 * `node` (no TypeScript loader: the project file is loaded through tsx's
 * `tsImport`), on a project whose `weftjs` is that build.
 */
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project } from "./support.js"
import { json, makeProject, root } from "./support.js"

const dist = join(root, "dist")
let project: Project

beforeAll(() => {
  project = makeProject({ entries: "dist", dist })
})
afterAll(() => project?.remove())

describe("the built weft bin", () => {
  it("has a shebang, and runs the project's templates", async () => {
    const { readFileSync } = await import("node:fs")
    expect(readFileSync(`${dist}/cli/bin.js`, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node")
    const [help, templates, run, failed, bad] = await Promise.all([
      project.weftBuilt(["--help"]),
      project.weftBuilt(["templates", "--format", "json"]),
      project.weftBuilt(["run", "hello", "--input", "{\"who\":\"npm\"}", "--format", "json"]),
      project.weftBuilt(["run", "failing", "--input", "{\"n\":1}"]),
      project.weftBuilt(["run", "hello", "--input", "{\"who\":false}"])
    ])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("- worker ")
    expect(json<ReadonlyArray<{ name: string }>>(templates).map((t) => t.name)).toEqual(["hello", "approval", "failing", "nested"])
    expect(json<{ run: { status: string }; state: unknown }>(run)).toMatchObject({
      run: { status: "completed" },
      state: { greeting: "hello npm" }
    })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain("failed: Boom: boom: n was 1")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("who: expected a string, got false")
  }, 90_000)
})
