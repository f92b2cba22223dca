/**
 * The supervisor's side of the campaigns' processes: starting children
 * (`child.ts` with a role), reading what they print line by line, killing
 * one with SIGKILL at a point of its progress (a given delay after the next
 * step it starts), and remembering, for the checker, when each was killed
 * and when it exited (on the machine's monotonic clock, like the log).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { ProcessInfo } from "./check.js"
import type { ChildConfig } from "./child.js"
import { monotonicMillis } from "./log.js"
import { built } from "../build.js"

const projectRoot = fileURLToPath(new URL("../..", import.meta.url))
const childScript = fileURLToPath(new URL("./child.ts", import.meta.url))

/** A child process of a campaign. */
export class Child {
  readonly proc: ChildProcess
  readonly pid: number
  readonly role: ChildConfig["role"]
  killedAt: number | undefined = undefined
  exitedAt: number | undefined = undefined
  exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined = undefined
  ready = false
  /** The last `{...}` line it printed, parsed. */
  last: Record<string, unknown> = {}
  /** What it printed on stderr (its last 4 kB), for diagnostics. */
  stderr = ""
  readonly exited: Promise<void>
  private killDelay: number | undefined = undefined

  constructor(
    readonly config: ChildConfig,
    private readonly onExec: (child: Child) => void
  ) {
    this.role = config.role
    this.proc = spawn(process.execPath, [built(childScript), JSON.stringify(config)], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    this.pid = this.proc.pid!
    let partial = ""
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n")
      partial = lines.pop()!
      for (const line of lines) this.line(line)
    })
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096)
    })
    this.exited = new Promise((done) => {
      this.proc.on("exit", (code, signal) => {
        this.exitedAt = monotonicMillis()
        this.exit = { code, signal }
        done()
      })
    })
  }

  private line(line: string) {
    if (line.startsWith("exec ")) {
      if (this.killDelay !== undefined) {
        const delay = this.killDelay
        this.killDelay = undefined
        setTimeout(() => this.kill(), delay)
      }
      this.onExec(this)
    } else if (line === "ready") {
      this.ready = true
    } else if (line.startsWith("{")) {
      try {
        this.last = JSON.parse(line) as Record<string, unknown>
      } catch {
        // not a line of ours
      }
    }
  }

  get alive(): boolean {
    return this.exit === undefined && this.killedAt === undefined
  }

  /** SIGKILLs it `delayMs` after the next step it starts. */
  killAfterNextStep(delayMs: number): void {
    this.killDelay = delayMs
  }

  /** Whether a kill is waiting for its next step. */
  get killArmed(): boolean {
    return this.killDelay !== undefined
  }

  /** SIGKILLs it now. */
  kill(): void {
    if (!this.alive) return
    this.killedAt = monotonicMillis()
    this.proc.kill("SIGKILL")
  }

  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for its exit. */
  async stop(): Promise<void> {
    if (this.exit !== undefined) return
    this.proc.kill("SIGTERM")
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000)
    await this.exited
    clearTimeout(timer)
  }

  info(): ProcessInfo {
    return { pid: this.pid, role: this.role, killedAt: this.killedAt, exitedAt: this.exitedAt }
  }
}

/** Every child a campaign started, for the checker. */
export class Children {
  readonly all: Array<Child> = []
  /** `exec` lines seen, from every child. */
  steps = 0

  constructor(private readonly onExec: (child: Child) => void = () => {}) {}

  start(config: ChildConfig): Child {
    const child = new Child(config, (c) => {
      this.steps++
      this.onExec(c)
    })
    this.all.push(child)
    return child
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((child) => child.stop()))
  }

  infos(): ReadonlyArray<ProcessInfo> {
    return this.all.map((child) => child.info())
  }
}

/** Waits until `condition` holds, checking every `everyMs`. */
export const until = async (condition: () => boolean, everyMs = 50): Promise<void> => {
  while (!condition()) await new Promise((done) => setTimeout(done, everyMs))
}
