/**
 * The test suite, split by cost into projects:
 *
 * - `unit`: in-process tests (fake time, in-memory and SQLite stores, the
 *   PostgreSQL store over a connection): everything under `test/` that starts
 *   no process and waits on no real lease;
 * - `types`: the type-level tests (`test/types/*.test-d.ts`) and the type
 *   check of the whole project (vitest's typecheck runs `tsc -p
 *   tsconfig.json`, failing on any error in any file);
 * - `smoke`: one fast check per surface through real processes (the built
 *   `weft` bin, its HTTP server, a crash child);
 * - `process`: the rest of what starts processes: kill tests, workers, the
 *   CLI bin, examples, short campaigns;
 * - `crash`: the crash and robustness suites (processes SIGKILLed at random
 *   moments; `.ci/run` runs them apart, with the machine's cores kept busy);
 * - `system`: what npm users get and what people see: the packed tarball,
 *   the built bin, the web view in headless Chromium, the docs and README.
 *
 * `npm test` runs unit + types + smoke (the quick loop); `npm run test:all`
 * runs every project (CI). Every project's global setup builds the sources
 * once (`test/build.ts`), and child processes start from that build, never
 * through a TypeScript loader; `system` also builds the package (`dist/`)
 * once.
 *
 * The package's entry points are read from package.json's `exports` (their
 * `weft-source` condition): the one list of them.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config"

const root = fileURLToPath(new URL(".", import.meta.url))

/** `weftjs`, `weftjs/sqlite`, ... resolved to their sources, from package.json's `exports`. */
const entryAliases = Object.entries(
  (JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
    readonly exports: Readonly<Record<string, unknown>>
  }).exports
).flatMap(([subpath, target]) => {
  const source = typeof target === "object" && target !== null ? (target as Record<string, unknown>)["weft-source"] : undefined
  if (typeof source !== "string") return []
  const name = subpath.replace(/^\./, "weftjs").replace(/[/]/g, "\\/")
  return [{ find: new RegExp(`^${name}$`), replacement: fileURLToPath(new URL(source, `file://${root}`)) }]
})

/** The files of the `crash` project: crash, kill and robustness suites (CI runs them apart, under load). */
const crashFiles = ["test/crash/**/*.test.ts", "test/robustness/**/*.test.ts"]

/** The files of the `process` project: the other tests that start processes or wait on real time. */
const processFiles = [
  "test/process/**/*.test.ts",
  "test/workers/**/*.test.ts",
  "test/control/**/*.test.ts",
  "test/triggers/**/*.test.ts",
  "test/campaign/Campaign.test.ts",
  "test/cli/cli.test.ts",
  "test/examples/**/*.test.ts",
  "test/yaml/Examples.test.ts",
  "test/sqlite/Faults.test.ts",
  "test/sqlite/Contention.test.ts",
  "test/otel/CoreImports.test.ts",
  "test/package/CoreImport.test.ts"
]

/** The files of the `system` project: the package as installed, the browser, the docs. */
const systemFiles = [
  "test/package/Pack.test.ts",
  "test/cli/built.test.ts",
  "test/browser/**/*.test.ts",
  "test/docs/**/*.test.ts",
  "test/readme/**/*.test.ts",
  "test/fleet/**/*.system.test.ts"
]

const smokeFiles = ["test/smoke/**/*.test.ts"]

const project = (
  name: string,
  include: ReadonlyArray<string>,
  options: {
    readonly exclude?: ReadonlyArray<string>
    readonly globalSetup?: ReadonlyArray<string>
    readonly timeout?: number
    readonly isolate?: boolean
  } = {}
): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    isolate: options.isolate ?? true,
    include: [...include],
    exclude: ["**/node_modules/**", ...(options.exclude ?? [])],
    globalSetup: ["test/setup/build.ts", ...(options.globalSetup ?? [])],
    typecheck: { enabled: false },
    testTimeout: options.timeout ?? 30_000,
    hookTimeout: options.timeout ?? 30_000
  }
})

export default defineConfig({
  resolve: { alias: entryAliases },
  test: {
    projects: [
      // in-process files share their worker's modules (not loaded again per file: most of the cost of a file is
      // loading weft and Effect), so a unit test must leave no global state behind (cwd, env, globals)
      project("unit", ["test/**/*.test.ts"], { exclude: [...crashFiles, ...processFiles, ...systemFiles, ...smokeFiles], isolate: false }),
      {
        extends: true,
        test: {
          name: "types",
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ["test/types/**/*.test-d.ts"],
            tsconfig: "./tsconfig.json",
            ignoreSourceErrors: false
          }
        }
      },
      project("smoke", smokeFiles, { timeout: 60_000 }),
      project("process", processFiles, { timeout: 60_000 }),
      project("crash", crashFiles, { timeout: 60_000 }),
      project("system", systemFiles, { globalSetup: ["test/setup/dist.ts"], timeout: 180_000 })
    ]
  }
})
