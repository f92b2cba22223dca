/**
 * Running a program for `Steps.command`: an argument array (no shell), its
 * own process group (`detached`), an environment built only from what is
 * allowed (names taken from this process's environment, secrets among
 * them, and explicit values), standard output kept whole and standard
 * error's tail. A timeout, or the interruption of the fiber (a cancelled
 * run, a step timeout), kills the whole group. Secrets' values are masked
 * in what comes back.
 *
 * `node:child_process` is imported when a command first runs, so that
 * `import "weftjs"` does not load it.
 *
 * @internal
 */
import type { ChildProcess } from "node:child_process"
import { Duration, Effect } from "effect"
import { CommandFailed } from "../../Errors.js"

/** What to run. */
export interface CommandSpec {
  /** The step's name, for errors. */
  readonly step: string
  readonly program: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string | undefined
  /** Explicit variables. */
  readonly env: Readonly<Record<string, string>>
  /** Names of this process's variables passed on as they are. */
  readonly inherit: ReadonlyArray<string>
  /** Names of this process's variables passed on, whose values are masked in outputs and errors. */
  readonly secrets: ReadonlyArray<string>
  readonly timeout: Duration.Duration | undefined
  /** Text written to the program's standard input (closed after it). */
  readonly stdin?: string | undefined
}

/** The most characters of standard error a failure carries. */
const stderrTail = 2000
/** The most bytes of standard output kept (more fails the command). */
const stdoutLimit = 64 * 1024 * 1024

const masker = (values: ReadonlyArray<string>) => (text: string): string => {
  let out = text
  for (const value of values) if (value.length > 0) out = out.split(value).join("***")
  return out
}

/** Kills the process group of a detached child (and the child itself if the group is gone). */
const killGroup = (child: ChildProcess): void => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    try {
      child.kill("SIGKILL")
    } catch {
      // already gone
    }
  }
}

const loadChildProcess = Effect.promise(() => import("node:child_process"))

/** Runs a program; succeeds with its standard output (secrets masked), fails with a {@link CommandFailed}. */
export const runCommand = (spec: CommandSpec): Effect.Effect<string, CommandFailed> =>
  Effect.flatMap(loadChildProcess, (cp) => {
    const env: Record<string, string> = {}
    const secretValues: Array<string> = []
    for (const name of [...spec.inherit, ...spec.secrets]) {
      const value = process.env[name]
      if (value !== undefined) env[name] = value
    }
    for (const name of spec.secrets) {
      const value = process.env[name]
      if (value !== undefined) secretValues.push(value)
    }
    for (const [name, value] of Object.entries(spec.env)) if (name !== "__proto__") env[name] = value
    // the program is looked up on PATH: it is passed on unless given
    if (env["PATH"] === undefined && process.env["PATH"] !== undefined) env["PATH"] = process.env["PATH"]
    const mask = masker(secretValues)
    let stderr = ""
    const failure = (reason: CommandFailed["reason"], exitCode: number | null, signal: string | null, extra = "") =>
      new CommandFailed({
        step: spec.step,
        program: spec.program,
        reason,
        exitCode,
        signal,
        stderr: mask(`${stderr}${extra}`).slice(-stderrTail)
      })
    const run = Effect.async<string, CommandFailed>((resume) => {
      let child: ChildProcess
      try {
        child = cp.spawn(spec.program, [...spec.args], {
          cwd: spec.cwd,
          env,
          detached: true,
          shell: false,
          stdio: [spec.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
          windowsHide: true
        })
      } catch (error) {
        resume(Effect.fail(failure("spawn", null, null, error instanceof Error ? error.message : String(error))))
        return
      }
      const chunks: Array<Buffer> = []
      let size = 0
      let overflow = false
      child.stdout?.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > stdoutLimit) {
          overflow = true
          killGroup(child)
          return
        }
        chunks.push(chunk)
      })
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-stderrTail * 2)
      })
      if (spec.stdin !== undefined && child.stdin !== null) {
        child.stdin.on("error", () => undefined)
        child.stdin.end(spec.stdin)
      }
      let settled = false
      child.on("error", (error) => {
        if (settled) return
        settled = true
        resume(Effect.fail(failure("spawn", null, null, error.message)))
      })
      child.on("close", (code, signal) => {
        if (settled) return
        settled = true
        if (overflow) resume(Effect.fail(failure("exit", code, signal, `\nstandard output over ${stdoutLimit} bytes`)))
        else if (code === 0) resume(Effect.succeed(mask(Buffer.concat(chunks).toString("utf8"))))
        else if (code !== null) resume(Effect.fail(failure("exit", code, null)))
        else resume(Effect.fail(failure("signal", null, signal)))
      })
      return Effect.sync(() => killGroup(child))
    })
    const timeout = spec.timeout
    if (timeout === undefined || !Duration.isFinite(timeout)) return run
    return Effect.timeoutFail(run, { duration: timeout, onTimeout: () => failure("timeout", null, "SIGKILL") })
  })
