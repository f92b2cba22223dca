/**
 * What the package tests share: running commands, finding installed
 * packages, recording what a process loads (`loads/preload.mjs`) and judging
 * it, and the module graph of an entry point's sources.
 */
import { execFile } from "node:child_process"
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

/** The repository's root. */
export const root = fileURLToPath(new URL("../../", import.meta.url))

/** The repository's package.json. */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly type?: string
  readonly exports: Readonly<Record<string, null | string | Readonly<Record<string, string>>>>
  readonly bin: Readonly<Record<string, string>>
  readonly files: ReadonlyArray<string>
  readonly dependencies?: Readonly<Record<string, string>>
  readonly peerDependencies: Readonly<Record<string, string>>
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>
  readonly devDependencies: Readonly<Record<string, string>>
}

export const manifest = (): Manifest => JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest

/** What a command gave. */
export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end; never rejects (a failure to start is code -1). */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: Readonly<Record<string, string>>; readonly timeout?: number }
): Promise<Ran> =>
  new Promise((done) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeout ?? 120_000,
        maxBuffer: 64 * 1024 * 1024
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        done({ code, stdout, stderr: error !== null && code === -1 ? `${stderr}\n${error.message}` : stderr })
      }
    )
  })

/** A command's output, for an assertion message. */
export const describeRan = (ran: Ran): string => `exit code ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`

/** The version of a package installed in a `node_modules` folder (top level). */
export const installedVersion = (name: string, nodeModules: string = join(root, "node_modules")): string =>
  (JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf8")) as { version: string }).version

/** A copy of a package found in a `node_modules` tree. */
export interface Installed {
  readonly path: string
  readonly version: string
}

/**
 * Every copy of package `name` in a `node_modules` tree, at any depth
 * (`node_modules/a/node_modules/name`, ...), by path. Symbolic links count as
 * copies but are not walked into.
 */
export const findInstalled = (nodeModules: string, name: string): ReadonlyArray<Installed> => {
  const found: Array<Installed> = []
  const walk = (folder: string): void => {
    if (!existsSync(folder)) return
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith(".")) continue
      const path = join(folder, entry)
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(path)) visit(join(path, scoped))
      } else {
        visit(path)
      }
    }
  }
  const visit = (path: string): void => {
    const link = lstatSync(path).isSymbolicLink()
    const file = join(path, "package.json")
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string }
      if (pkg.name === name) found.push({ path, version: pkg.version ?? "(no version)" })
    }
    if (!link) walk(join(path, "node_modules"))
  }
  walk(nodeModules)
  return found.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
}

/** The package a path or URL is in: after its last `node_modules/`. */
export const packageOf = (what: string): string | undefined => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(what)
  return match?.[1]
}

// --- what a process loads -----------------------------------------------------

/** One thing a process loaded (see `loads/preload.mjs`). */
export interface Load {
  readonly kind: "resolve" | "require" | "dlopen"
  readonly what: string
}

const preload = new URL("./loads/preload.mjs", import.meta.url).href

/**
 * Runs `node [...before] --import <recorder> [...args]` and gives what it
 * printed and every module it loaded. `before` comes first so that a
 * TypeScript loader (`--import tsx`) resolves before the recorder sees the
 * URL.
 */
export const recordLoads = async (
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly before?: ReadonlyArray<string> }
): Promise<{ readonly ran: Ran; readonly loads: ReadonlyArray<Load> }> => {
  const folder = mkdtempSync(join(tmpdir(), "weft-loads-"))
  try {
    const log = join(folder, "loads.jsonl")
    const ran = await run(process.execPath, [...(options.before ?? []), "--import", preload, ...args], {
      cwd: options.cwd,
      env: { WEFT_LOADS: log }
    })
    const text = existsSync(log) ? readFileSync(log, "utf8") : ""
    const loads = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Load)
    return { ran, loads }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

/**
 * The packages `import ... from "weftjs"` must never load: database drivers,
 * and the dependencies of the other entry points.
 */
export const isSurfacePackage = (name: string): boolean =>
  name === "better-sqlite3" || name === "bindings" ||
  name.startsWith("@effect/sql") ||
  name === "pg" || name.startsWith("pg-") ||
  name.startsWith("@effect/platform-node") ||
  name === "@effect/cli" ||
  name === "yaml" ||
  name === "@effect/opentelemetry" || name.startsWith("@opentelemetry/")

/**
 * What is wrong with the loads of a core-only process: a native addon
 * opened, a `.node` file resolved, or a module of a package outside
 * `allowed` (surface packages named as such). One line per package.
 */
export const coreViolations = (loads: ReadonlyArray<Load>, allowed: ReadonlySet<string>): ReadonlyArray<string> => {
  const problems = new Map<string, string>()
  for (const { kind, what } of loads) {
    if (kind === "dlopen") {
      problems.set(what, `native addon opened: ${what}`)
      continue
    }
    if (what.endsWith(".node")) problems.set(what, `native module ${kind}d: ${what}`)
    const name = packageOf(what)
    if (name === undefined || allowed.has(name) || problems.has(name)) continue
    problems.set(
      name,
      `${isSurfacePackage(name) ? "surface dependency" : "package outside the core"} ${name} (${kind}: ${what})`
    )
  }
  return Array.from(problems.values())
}

/**
 * The packages the core may load: `effect` and what it depends on, at any
 * depth (each dependency found as Node finds it: in the nearest
 * `node_modules` up from the package that needs it).
 */
export const corePackages = (nodeModules: string): ReadonlySet<string> => {
  const names = new Set<string>()
  const seen = new Set<string>()
  const visit = (name: string, from: string): void => {
    for (let folder = from;; folder = dirname(folder)) {
      const path = join(folder, "node_modules", name)
      if (existsSync(join(path, "package.json"))) {
        names.add(name)
        if (seen.has(path)) return
        seen.add(path)
        const pkg = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { dependencies?: Record<string, string> }
        for (const dependency of Object.keys(pkg.dependencies ?? {})) visit(dependency, path)
        return
      }
      if (dirname(folder) === folder) throw new Error(`${name} is not installed (looked up from ${from})`)
    }
  }
  visit("effect", dirname(nodeModules))
  return names
}

// --- the module graph of an entry point's sources -------------------------------

/** The packages an entry point's sources import, at run time and for types only. */
export interface Imports {
  readonly modules: number
  readonly runtime: ReadonlySet<string>
  readonly dynamic: ReadonlySet<string>
  readonly typeOnly: ReadonlySet<string>
}

const bareName = (specifier: string): string =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0] ?? specifier

const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0] ?? "")

const isTypeOnlyImport = (node: ts.ImportDeclaration | ts.ExportDeclaration): boolean => {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly
  const clause = node.importClause
  if (clause === undefined) return false
  if (clause.isTypeOnly) return true
  const bindings = clause.namedBindings
  return clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly)
}

/**
 * Walks the relative imports of a source file (`src/...ts`) and gives the
 * packages its module graph imports: statically at run time, through
 * `import()`, and in type positions only.
 */
export const importsOf = (entry: string): Imports => {
  const seen = new Set<string>()
  const runtime = new Set<string>()
  const dynamic = new Set<string>()
  const typeOnly = new Set<string>()
  const visit = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022, true)
    const found: Array<{ readonly specifier: string; readonly into: Set<string> }> = []
    const walk = (node: ts.Node): void => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        found.push({ specifier: node.moduleSpecifier.text, into: isTypeOnlyImport(node) ? typeOnly : runtime })
      } else if (
        ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined && ts.isStringLiteral(node.arguments[0])
      ) {
        found.push({ specifier: node.arguments[0].text, into: dynamic })
      } else if (
        ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)
      ) {
        found.push({ specifier: node.argument.literal.text, into: typeOnly })
      }
      ts.forEachChild(node, walk)
    }
    walk(source)
    for (const { into, specifier } of found) {
      if (specifier.startsWith(".")) {
        // dynamic imports of relative files are followed too: they load at run time
        visit(resolve(dirname(path), specifier.replace(/\.js$/, ".ts")))
      } else if (!isBuiltin(specifier)) {
        into.add(bareName(specifier))
      }
    }
  }
  visit(entry)
  for (const name of runtime) typeOnly.delete(name)
  return { modules: seen.size, runtime, dynamic, typeOnly }
}

/**
 * The module specifiers a built file imports (static, `import()`, and
 * `import("...")` types), comments excluded.
 */
export const specifiersOf = (path: string): ReadonlyArray<string> =>
  ts.preProcessFile(readFileSync(path, "utf8"), true, true).importedFiles.map((file) => file.fileName)

export { bareName, isBuiltin }
