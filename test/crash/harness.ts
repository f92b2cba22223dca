/**
 * What the crash tests share: a seeded PRNG, a child-process runner that
 * SIGKILLs the child at a moment tied to its progress, and the execution log
 * the children's steps write.
 *
 * Kills are placed by progress, not by wall time: the children's steps print
 * `exec <step key>` on stdout when they start, and the runner kills the child
 * `delayMs` after the `afterSteps`-th such line. The child is told the same
 * kill (the `WEFT_CRASH_KILL` variable) and, should the runner be late (a
 * loaded machine delays its reading of the pipe), SIGKILLs itself at that
 * point of its own progress: `delayMs` into the spin of its `afterSteps`-th
 * step, or at the start of a later step when the spin was shorter (just
 * after the checkpoint). So a kill lands in the middle of the run however
 * fast or loaded the machine is, and a seed replays the same sequence of
 * kills.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Exit } from "effect"
import { built } from "../build.js"

/** mulberry32: a small seeded PRNG, so a failing sequence of kills can be replayed. */
export const prng = (seed: number) => {
  let s = seed
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * When to kill a child: `delayMs` after it reported starting its
 * `afterSteps`-th step, or after it printed a line starting with `afterLine`.
 */
export type Kill =
  | { readonly afterSteps: number; readonly delayMs: number }
  | { readonly afterLine: string; readonly delayMs: number }

/** A random kill among the first `maxSteps` steps a child runs, `maxDelayMs` at most after one starts. */
export const randomKill = (random: () => number, maxSteps: number, maxDelayMs: number): Kill => ({
  afterSteps: 1 + Math.floor(random() * maxSteps),
  delayMs: Math.floor(random() * (maxDelayMs + 1))
})

/** How a child ended, and what it printed (its last line is its JSON outcome). */
export interface ChildResult {
  readonly pid: number
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: ReadonlyArray<string>
}

const projectRoot = fileURLToPath(new URL("../..", import.meta.url))

/** The variable through which {@link runChild} tells a child where it is to be killed. */
const killVariable = "WEFT_CRASH_KILL"

/**
 * Runs `<script> <args>` (its build: `test/build.ts`) in a new Node process, killing it as `kill`
 * says. Exit codes 0 and 1 (a run's typed failure) are results; any other
 * exit is a broken child and rejects.
 */
export const runChild = (
  script: string,
  args: ReadonlyArray<string>,
  kill?: Kill,
  env: Readonly<Record<string, string>> = {}
): Promise<ChildResult> =>
  new Promise((done, fail) => {
    const selfKill = kill === undefined ? {} : { [killVariable]: JSON.stringify(kill) }
    const proc: ChildProcess = spawn(process.execPath, [built(script), ...args], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env, ...selfKill }
    })
    let out = ""
    let err = ""
    let started = 0
    let armed = kill !== undefined
    proc.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString()
      out += text
      if (!armed || kill === undefined) return
      for (const line of text.split("\n")) {
        const due = "afterLine" in kill
          ? line.startsWith(kill.afterLine)
          : line.startsWith("exec ") && ++started === kill.afterSteps
        if (due) {
          armed = false
          setTimeout(() => proc.kill("SIGKILL"), kill.delayMs)
          return
        }
      }
    })
    proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
    proc.on("error", fail)
    proc.on("exit", (code, signal) => {
      if (code !== null && code !== 0 && code !== 1) fail(new Error(`child exited ${code}: ${out}\n${err}`))
      else done({ pid: proc.pid!, code, signal, lines: out.split("\n").filter((l) => l !== "" && !l.startsWith("exec ")) })
    })
  })

/** The JSON outcome a child prints last. */
export const lastJson = (result: ChildResult): Record<string, unknown> =>
  JSON.parse(result.lines[result.lines.length - 1] ?? "{}") as Record<string, unknown>

/** One line of a child's execution log: `<pid> start|resume|done|exec <arg> [<idempotency key>]`. */
export interface LogLine {
  readonly pid: number
  readonly kind: "start" | "resume" | "done" | "exec"
  readonly arg: string
  readonly key?: string | undefined
}

/** Reads an execution log. */
export const readLog = (file: string): ReadonlyArray<LogLine> =>
  readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((line) => {
    const [pid, kind, arg, key] = line.split(" ")
    return { pid: Number(pid), kind: kind as LogLine["kind"], arg: arg!, key }
  })

/** In a child: the kill {@link runChild} placed. */
const ownKill = ((): Kill | undefined => {
  const text = process.env[killVariable]
  return text === undefined || text === "" ? undefined : JSON.parse(text) as Kill
})()
let stepsStarted = 0
/** When this child is to die (`performance.now()` time), once its `afterSteps`-th step has started. */
let dieAt: number | undefined

const dieIfDue = (): void => {
  if (dieAt !== undefined && performance.now() >= dieAt) process.kill(process.pid, "SIGKILL")
}

/**
 * Reports that a step started, for {@link runChild}'s kills (stdout writes to
 * a pipe are synchronous on Linux); a child whose kill came due in an earlier
 * step dies here, before this step runs (just after that step's checkpoint).
 */
export const reportStep = (stepKey: string): void => {
  dieIfDue()
  process.stdout.write(`exec ${stepKey}\n`)
  stepsStarted++
  if (ownKill !== undefined && "afterSteps" in ownKill && stepsStarted === ownKill.afterSteps) {
    dieAt = performance.now() + ownKill.delayMs
  }
}

/**
 * Prints a line on stdout, for {@link runChild}'s `afterLine` kills; when it
 * is the line this child is to be killed after, the child also arms a timer
 * that SIGKILLs it `delayMs` later, should the runner be late. Timers of one
 * process fire in the order of their deadlines: a kill `delayMs` after a line
 * lands before anything this process set to happen later than that (the end
 * of a sleep or of a step's wait that started with the line).
 */
export const printLine = (line: string): void => {
  process.stdout.write(`${line}\n`)
  if (ownKill !== undefined && "afterLine" in ownKill && dieAt === undefined && line.startsWith(ownKill.afterLine)) {
    dieAt = performance.now() + ownKill.delayMs
    setTimeout(() => process.kill(process.pid, "SIGKILL"), ownKill.delayMs)
  }
}

/**
 * A step's work: busy-waits `millis` (so that kills land inside steps as well
 * as between them), dying on the way when this child's kill comes due.
 */
export const spin = (millis: number): Effect.Effect<void> =>
  Effect.sync(() => {
    const until = performance.now() + millis
    while (performance.now() < until) dieIfDue()
    dieIfDue()
  })

/**
 * Runs a child's program and exits: 0 on success (after `onSuccess`), 1 on a
 * failure, after printing `{ error: <tag>, message }` as its last line.
 */
export const runAsChild = <A, E>(program: Effect.Effect<A, E>, onSuccess: (value: A) => void = () => {}): void => {
  Effect.runPromiseExit(program).then((exit) => {
    if (Exit.isSuccess(exit)) {
      onSuccess(exit.value)
      process.exit(0)
    }
    const failure: unknown = exit.cause._tag === "Fail" ? exit.cause.error : exit.cause
    const tag = typeof failure === "object" && failure !== null && "_tag" in failure ? String(failure._tag) : "Defect"
    const message = String((failure as { readonly message?: unknown }).message ?? failure)
    process.stdout.write(`${JSON.stringify({ error: tag, message })}\n`)
    process.exit(1)
  })
}
