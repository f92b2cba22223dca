/**
 * Running the real `weft` bin in a temporary project: a folder with its own
 * `weft.config.ts` (test/cli/fixtures), a `tsconfig.json` mapping `weftjs`
 * to the test run's build of the sources (`test/build.ts`) or to the
 * package's `dist`, and a temporary SQLite database (`WEFT_DATABASE`).
 */
import { execFile, spawn } from "node:child_process"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Console, Effect } from "effect"
import { Cli } from "weftjs/cli"
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { built, entrySources } from "../build.js"

/** The repository's root. */
export const root = fileURLToPath(new URL("../../", import.meta.url))

/** What a run of the bin gave. */
export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** A command started in the background. */
export interface Background {
  /** What its stdout matched. */
  readonly match: RegExpMatchArray
  /** How it ends. */
  readonly ended: Promise<Result>
  /** Sends it a signal; gives how it ended. */
  readonly stop: (signal: NodeJS.Signals) => Promise<Result>
}

/** A temporary project. */
export interface Project {
  readonly dir: string
  readonly database: string
  /** Runs `weft <args>` in the project (`node .build/src/cli/bin.js`: the test run's build). */
  readonly weft: (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => Promise<Result>
  /** Runs the built bin (`<dist>/cli/bin.js`), as installed from npm. */
  readonly weftBuilt: (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => Promise<Result>
  /**
   * Runs `weft <args>` in this process (`Cli.run`, the embedding API): the
   * same command without the cost of a process, for the many cases of bad
   * input. Relative paths are the project's; settings come from `env`.
   */
  readonly inProcess: (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => Promise<Result>
  /**
   * Starts `weft <args>` (the test run's build) and returns once its stdout matches
   * `ready`, with what matched; `stop` sends it a signal and gives how it ended.
   */
  readonly background: (
    args: ReadonlyArray<string>,
    ready: RegExp,
    env?: Readonly<Record<string, string>>
  ) => Promise<Background>
  /** Writes a file in the project. */
  readonly write: (name: string, text: string) => string
  readonly remove: () => void
}

const exec = (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv) =>
  new Promise<Result>((resolve) => {
    execFile(command, [...args], { cwd, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })

/**
 * A fresh project folder; `remove` deletes it. `weftjs` in its project file
 * is the test run's build (`.build`, the same modules the bin loads), or the
 * package's build (`dist`, for the built bin).
 */
export const makeProject = (
  options: { readonly entries?: "build" | "dist"; readonly dist?: string | undefined } = {}
): Project => {
  const dist = options.dist ?? join(root, "dist")
  const dir = mkdtempSync(join(tmpdir(), "weft-cli-"))
  const database = join(dir, "runs.db")
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir")
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
  const fromDist = options.entries === "dist"
  const entry = (source: string) =>
    [fromDist ? join(dist, source.replace(/^\.\/src\//, "").replace(/\.ts$/, ".js")) : built(source)]
  const paths: Record<string, Array<string>> = {}
  for (const [subpath, source] of entrySources()) paths[subpath.replace(/^\./, "weftjs")] = entry(source)
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        strict: true,
        paths
      }
    })
  )
  copyFileSync(join(root, "test/cli/fixtures/weft.config.ts"), join(dir, "weft.config.ts"))
  const environment = (extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("WEFT_")) env[key] = value
    return { ...env, NO_COLOR: "1", WEFT_DATABASE: database, WEFT_RETRY_DELAY: "0", ...extra }
  }
  const inProcess = async (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): Promise<Result> => {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const settings = new Map(Object.entries({ WEFT_DATABASE: database, WEFT_RETRY_DELAY: "0", ...env }))
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      const code = await Cli.run(["node", "weft", ...args]).pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConsole(capture(stdout, stderr)),
        Effect.withConfigProvider(ConfigProvider.fromMap(settings, { pathDelim: "_" })),
        Effect.runPromise
      )
      return { code, stdout: stdout.map((line) => `${line}\n`).join(""), stderr: stderr.map((line) => `${line}\n`).join("") }
    } finally {
      process.chdir(cwd)
    }
  }
  const background = (args: ReadonlyArray<string>, ready: RegExp, env: Readonly<Record<string, string>> = {}) =>
    new Promise<Background>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [built("src/cli/bin.ts"), ...args], {
          cwd: dir,
          env: environment(env)
        })
        let stdout = ""
        let stderr = ""
        const ended = new Promise<Result>((done) =>
          child.on("close", (code, signal) => done({ code: code ?? (signal === null ? -1 : 128), stdout, stderr }))
        )
        const timer = setTimeout(() => {
          child.kill("SIGKILL")
          reject(new Error(`weft ${args.join(" ")} did not print ${ready} within 60 s:\n${stdout}\n${stderr}`))
        }, 60_000)
        child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString("utf8")))
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8")
          const match = stdout.match(ready)
          if (match !== null) {
            clearTimeout(timer)
            resolve({ match, ended, stop: (signal) => (child.kill(signal), ended) })
          }
        })
        void ended.then((result) => {
          clearTimeout(timer)
          reject(new Error(`weft ${args.join(" ")} ended (${result.code}) before printing ${ready}:\n${result.stderr}`))
        })
      }
    )
  return {
    dir,
    database,
    inProcess,
    background,
    weft: (args, env = {}) =>
      exec(process.execPath, [built("src/cli/bin.ts"), ...args], dir, environment(env)),
    weftBuilt: (args, env = {}) => exec(process.execPath, [join(dist, "cli/bin.js"), ...args], dir, environment(env)),
    write: (name, text) => {
      const path = join(dir, name)
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, text)
      return path
    },
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}


/** The JSON a command printed on stdout. */
export const json = <A = unknown>(result: Result): A => {
  try {
    return JSON.parse(result.stdout) as A
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
}

/** A console writing what is logged to `stdout` and what is reported as an error to `stderr`. */
export const capture = (stdout: Array<string>, stderr: Array<string>): Console.Console => {
  const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const unsafe: Console.UnsafeConsole = {
    ...globalThis.console,
    log: (...args: ReadonlyArray<unknown>) => void stdout.push(text(args)),
    info: (...args: ReadonlyArray<unknown>) => void stdout.push(text(args)),
    error: (...args: ReadonlyArray<unknown>) => void stderr.push(text(args)),
    warn: (...args: ReadonlyArray<unknown>) => void stderr.push(text(args))
  }
  const of = (f: (...args: ReadonlyArray<unknown>) => void) => (...args: ReadonlyArray<unknown>) =>
    Effect.sync(() => f(...args))
  return {
    [Console.TypeId]: Console.TypeId,
    unsafe,
    assert: () => Effect.void,
    clear: Effect.void,
    count: () => Effect.void,
    countReset: () => Effect.void,
    debug: of(unsafe.log),
    dir: of(unsafe.log),
    dirxml: of(unsafe.log),
    error: of(unsafe.error),
    group: () => Effect.void,
    groupEnd: Effect.void,
    info: of(unsafe.log),
    log: of(unsafe.log),
    table: of(unsafe.log),
    time: () => Effect.void,
    timeEnd: () => Effect.void,
    timeLog: () => Effect.void,
    trace: of(unsafe.log),
    warn: of(unsafe.error)
  }
}
