/**
 * `weftjs` (the core) never imports OpenTelemetry: it uses only Effect's own
 * `Tracer` API, and `weftjs/otel` brings the SDK. Checked twice:
 *
 * 1. statically: no file that `src/index.ts` reaches through relative
 *    imports (static, type-only or dynamic) names `@opentelemetry/*` or
 *    `@effect/opentelemetry`;
 * 2. at run time: a Node process that imports `src/index.ts` (its build:
 *    `test/build.ts`)
 *    resolves no module of those packages (a module-resolution hook logs
 *    every URL resolved).
 *
 * Each check is also run on `src/otel.ts`, where it must find them: the
 * checks can fail.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import ts from "typescript"
import { built } from "../build.js"

const root = resolve(__dirname, "../..")
const isOtel = (specifier: string) => /^@opentelemetry\/|^@effect\/opentelemetry(\/|$)/.test(specifier)

/** Every package a source file reaches through relative imports, with the file that names it. */
const packagesReached = (entry: string): ReadonlyMap<string, string> => {
  const found = new Map<string, string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true)
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) {
        if (!found.has(fileName)) found.set(fileName, relative(root, file))
        continue
      }
      const base = resolve(dirname(file), fileName)
      const target = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")].find((f) => existsSync(f))
      if (target !== undefined) visit(target)
    }
  }
  visit(join(root, entry))
  return found
}

describe("statically", () => {
  it("no file of the core names an OpenTelemetry package", () => {
    const reached = packagesReached("src/index.ts")
    expect(reached.has("effect")).toBe(true)
    expect([...reached].filter(([specifier]) => isOtel(specifier))).toEqual([])
  })

  it("weftjs/otel does (the check finds them)", () => {
    const reached = [...packagesReached("src/otel.ts").keys()].filter(isOtel)
    expect(reached).toEqual(expect.arrayContaining(["@effect/opentelemetry/NodeSdk", "@opentelemetry/sdk-trace-base"]))
  })
})

describe("at run time", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-imports-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, "hooks.mjs"),
    [
      `import { appendFileSync } from "node:fs"`,
      `let log`,
      `export async function initialize(data) { log = data.log }`,
      `export async function resolve(specifier, context, next) {`,
      `  const result = await next(specifier, context)`,
      `  appendFileSync(log, result.url + "\\n")`,
      `  return result`,
      `}`
    ].join("\n")
  )
  writeFileSync(
    join(dir, "register.mjs"),
    [
      `import { register } from "node:module"`,
      `register(new URL("./hooks.mjs", import.meta.url), { data: { log: process.env.WEFT_IMPORT_LOG } })`
    ].join("\n")
  )

  /** The URLs a fresh Node process resolves while it imports `entry` (a file of the project). */
  const resolvedBy = (entry: string) =>
    new Promise<ReadonlyArray<string>>((done, fail) => {
      const log = join(dir, `${entry.replace(/[/.]/g, "_")}.log`)
      writeFileSync(log, "")
      const script = `await import(${JSON.stringify(built(entry))})`
      execFile(
        process.execPath,
        ["--import", join(dir, "register.mjs"), "--input-type=module", "-e", script],
        { cwd: root, env: { ...process.env, WEFT_IMPORT_LOG: log }, timeout: 60_000 },
        (error, _stdout, stderr) => {
          if (error !== null) return fail(new Error(`importing ${entry} failed: ${stderr}`))
          done(readFileSync(log, "utf8").split("\n").filter((line) => line !== ""))
        }
      )
    })

  const otelModules = (urls: ReadonlyArray<string>) =>
    urls.filter((url) => /\/node_modules\/(@opentelemetry|@effect\/opentelemetry)\//.test(url))

  it("importing weftjs loads no OpenTelemetry module", async () => {
    const urls = await resolvedBy("src/index.ts")
    // it did load the core, and Effect
    expect(urls.some((url) => url.endsWith("/src/Engine.js"))).toBe(true)
    expect(urls.some((url) => url.includes("/node_modules/effect/"))).toBe(true)
    expect(otelModules(urls)).toEqual([])
  }, 60_000)

  it("importing weftjs/otel does (the check finds them)", async () => {
    const urls = await resolvedBy("src/otel.ts")
    expect(otelModules(urls).length).toBeGreaterThan(0)
  }, 60_000)
})
