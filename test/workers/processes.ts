/**
 * Worker processes (`./worker.ts`, built by `test/build.ts`, in a child Node process)
 * whose printed lines are read as they come: for the worker tests and the
 * PostgreSQL benchmark (so nothing here imports vitest).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import type { WorkerOptions } from "./worker.js"
import { built } from "../build.js"

const projectRoot = fileURLToPath(new URL("../..", import.meta.url))
const script = fileURLToPath(new URL("./worker.ts", import.meta.url))

/** A short random name part. */
export const unique = (): string => randomBytes(5).toString("hex")

/** Where workers keep their runs and log their steps. */
export interface Place {
  readonly scratch: { readonly url: string }
  readonly schema: string
  readonly log: string
}

/** A line a worker printed, with the time it printed it. */
export interface Line {
  readonly at: number
  readonly text: string
}

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number
  readonly name: string
  readonly lines: ReadonlyArray<Line>
  /** Everything it wrote on stderr. */
  readonly stderr: () => string
  /** The first line (from the start) for which `match` holds, waited for up to `timeoutMs`. */
  readonly waitFor: (match: (text: string) => boolean, timeoutMs?: number) => Promise<Line>
  readonly kill: (signal: NodeJS.Signals) => void
  /** Resolves with its exit code and signal once it has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

/** A worker's settings: the defaults are short leases and polls (see {@link spawnWorker}). */
export type WorkerSettings = Partial<Omit<WorkerOptions, "url" | "schema" | "log" | "name">>

/** Spawns a worker; resolves when it printed `ready`. */
export const spawnWorker = async (w: Place, settings: WorkerSettings = {}): Promise<WorkerProcess> => {
  const name = `wk-${unique()}`
  const options: WorkerOptions = {
    url: w.scratch.url,
    schema: w.schema,
    name,
    log: w.log,
    queues: { default: 10 },
    leaseMs: 3000,
    pollMs: 250,
    graceMs: 0,
    recovery: true,
    ...settings
  }
  const proc: ChildProcess = spawn(process.execPath, [built(script), JSON.stringify(options)], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<Line> = []
  let err = ""
  let buffered = ""
  const waiters = new Set<() => void>()
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString()
    const parts = buffered.split("\n")
    buffered = parts.pop() ?? ""
    for (const part of parts) {
      const space = part.indexOf(" ")
      const at = Number(part.slice(0, space))
      lines.push(Number.isFinite(at) && space > 0 ? { at, text: part.slice(space + 1) } : { at: Date.now(), text: part })
    }
    for (const wake of Array.from(waiters)) wake()
  })
  proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
  let over = false
  const exited = new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((done) => {
    // "close": the process has exited and its output has been read to the end
    proc.on("close", (code, signal) => {
      over = true
      done({ code, signal })
      for (const wake of Array.from(waiters)) wake()
    })
  })
  const waitFor = (match: (text: string) => boolean, timeoutMs = 20_000): Promise<Line> =>
    new Promise((done, fail) => {
      const check = () => {
        const found = lines.find((line) => match(line.text))
        if (found !== undefined) {
          finish()
          done(found)
        } else if (over) {
          finish()
          fail(new Error(`worker ${proc.pid} exited before printing the line awaited:\n${show()}`))
        }
      }
      const timer = setTimeout(() => {
        finish()
        fail(new Error(`timed out after ${timeoutMs} ms waiting for a line of worker ${proc.pid}:\n${show()}`))
      }, timeoutMs)
      const finish = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  const show = () => `${lines.map((l) => `${l.at} ${l.text}`).join("\n")}\n-- stderr --\n${err}`
  const worker: WorkerProcess = {
    pid: proc.pid!,
    name,
    lines,
    stderr: () => err,
    waitFor,
    kill: (signal) => {
      if (!over) proc.kill(signal)
    },
    exited
  }
  await waitFor((text) => text === "ready", 60_000)
  return worker
}

/** The time a worker printed a line about `runId` starting with `tag` (`event RunResumed`), waited for. */
export const eventOf = (worker: WorkerProcess, tag: string, runId: string, timeoutMs?: number): Promise<Line> =>
  worker.waitFor((text) => text.startsWith(`event ${tag} ${runId}`), timeoutMs)

/** Whether a worker printed an event about `runId`. */
export const touched = (worker: WorkerProcess, runId: string): boolean =>
  worker.lines.some((line) => line.text.startsWith("event ") && line.text.split(" ")[2] === runId)

/** Sleeps `ms` of real time. */
export const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms))
