/**
 * The take-over scenario, from the supervisor's side (`Takeover.test.ts`,
 * `bench/scale.ts`): an owner process starts `runs` runs and awaits them
 * all; once they are started it is starved (a busy loop) for longer than a
 * lease, while a taker process resumes every run whose lease passed;
 * then it goes on. Measured: how many of the owner's waiters settled with the
 * right outcome, how long after the last run ended (in the store) the last
 * waiter settled, and the owner's CPU and memory afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, ManagedRuntime } from "effect"
import { SnapshotStore } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { built } from "../build.js"
import { createPgDatabase } from "../campaign/stores.js"
import type { TakeoverConfig } from "./takeoverChild.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const childScript = fileURLToPath(new URL("./takeoverChild.ts", import.meta.url))

/** A sample of the owner's CPU and memory, once its waiters settled. */
export interface Sample {
  readonly cpuPercent: number
  readonly rssMB: number
  readonly heapMB: number
}

/** What the scenario measured. */
export interface TakeoverResult {
  readonly runs: number
  /** Runs the taker resumed (taken over from the owner). */
  readonly takenOver: number
  /** The owner's waiters that settled with the expected outcome, and otherwise (with why). */
  readonly right: number
  readonly wrong: number
  readonly errors: Readonly<Record<string, number>>
  /** From the end of the last run (its store record) to the last waiter settled in the owner (ms). */
  readonly settleMillis: number
  /** From the owner's going on to the end of the last run (ms). */
  readonly runsMillis: number
  /** The owner's memory when its runs were started (before it was stopped). */
  readonly startedRssMB: number
  /** The owner's peak memory, as sampled by the supervisor (`ps`-free: from its own samples). */
  readonly samples: ReadonlyArray<Sample>
}

/** Options of the scenario. */
export interface TakeoverOptions {
  readonly store: "sqlite" | "pg"
  readonly runs: number
  readonly concurrency?: number | undefined
  readonly leaseMillis?: number | undefined
  readonly stepMillis?: number | undefined
  /** How many quiet samples of the owner to take after its waiters settled. */
  readonly samples?: number | undefined
  readonly sampleMillis?: number | undefined
  /** Gives up (throws) after this long without the waiters settling. */
  readonly timeoutMillis?: number | undefined
  /** Extra node flags of the owner (`--cpu-prof`, ...). */
  readonly ownerFlags?: ReadonlyArray<string> | undefined
  readonly say?: ((line: string) => void) | undefined
}

/** A child process printing JSON lines. */
class Child {
  readonly proc: ChildProcess
  readonly lines: Array<Record<string, unknown>> = []
  ready = false
  stderr = ""
  exited = false
  private waiters: Array<() => void> = []

  constructor(config: TakeoverConfig, flags: ReadonlyArray<string>) {
    this.proc = spawn(process.execPath, [...flags, built(childScript), JSON.stringify(config)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let partial = ""
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n")
      partial = lines.pop()!
      for (const line of lines) {
        if (line === "ready") this.ready = true
        else if (line.startsWith("{")) this.lines.push(JSON.parse(line) as Record<string, unknown>)
      }
      this.wake()
    })
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096)
    })
    this.proc.on("exit", () => {
      this.exited = true
      this.wake()
    })
  }

  private wake() {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** The last line with `key`, if any. */
  last(key: string): Record<string, unknown> | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (key in this.lines[i]!) return this.lines[i]
    return undefined
  }

  /** Waits for a line with `key` (or throws after `timeoutMillis`, or when the child exits). */
  async await(key: string, timeoutMillis: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMillis
    for (;;) {
      const found = this.last(key)
      if (found !== undefined) return found
      if (this.exited) {
        throw new Error(
          `the ${key} line never came: the child exited; it said ${JSON.stringify(this.lines.slice(-2))}, ` +
            this.stderr.split("\n").filter((line) => !line.startsWith("WARN")).join("\n").slice(-1500)
        )
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${key} line after ${timeoutMillis} ms`)
      await new Promise<void>((done) => {
        const timer = setTimeout(done, Math.min(left, 500))
        this.waiters.push(() => {
          clearTimeout(timer)
          done()
        })
      })
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return
    this.proc.kill("SIGTERM")
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000)
    await new Promise<void>((done) => this.proc.once("exit", () => done()))
    clearTimeout(timer)
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

/** The runs of `prefix` as they stand: how many ended, and when the last of them ended. */
const ends = (store: ManagedRuntime.ManagedRuntime<SnapshotStore.SnapshotStore, unknown>, prefix: string) =>
  store.runPromise(Effect.map(
    Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.list({ status: ["completed", "failed", "cancelled"] })),
    (runs) => {
      const mine = runs.filter((run) => run.runId.startsWith(`${prefix}-`))
      return { ended: mine.length, lastEnd: mine.reduce((max, run) => Math.max(max, run.updatedAt), 0) }
    }
  ))

/** Runs the scenario; see the module's header. */
export const takeover = async (o: TakeoverOptions): Promise<TakeoverResult> => {
  const say = o.say ?? (() => {})
  const leaseMillis = o.leaseMillis ?? 2000
  const timeoutMillis = o.timeoutMillis ?? 120_000
  const dir = mkdtempSync(join(tmpdir(), "weft-takeover-"))
  const pgDatabase = o.store === "pg" ? await createPgDatabase() : undefined
  const spec: TakeoverConfig["store"] = pgDatabase === undefined
    ? { kind: "sqlite", file: join(dir, "runs.db") }
    : { kind: "pg", url: pgDatabase.url }
  const store = ManagedRuntime.make(
    spec.kind === "sqlite"
      ? Sqlite.layerStore({ filename: spec.file })
      : Pg.layerStore({ url: spec.url, maxConnections: 2, applicationName: "weft-takeover-supervisor" })
  )
  const prefix = "to"
  const base: Omit<TakeoverConfig, "role"> = {
    store: spec,
    prefix,
    runs: o.runs,
    concurrency: o.concurrency ?? 10,
    leaseMillis,
    pollMillis: 250,
    stepMillis: o.stepMillis ?? 5,
    sampleMillis: o.sampleMillis ?? 1000,
    releaseFile: join(dir, "release")
  }
  const children: Array<Child> = []
  try {
    // the tables are made before the children start
    await ends(store, prefix)
    const owner = new Child({ ...base, role: "owner" }, ["--expose-gc", ...(o.ownerFlags ?? [])])
    children.push(owner)
    const started = await owner.await("started", timeoutMillis)
    // the taker starts once every run is started: it takes over nothing before the owner is starved
    const taker = new Child({ ...base, role: "taker" }, [])
    children.push(taker)
    const startedRss = owner.last("started")
    say(`owner started ${String(started.started)} runs`)
    // starved: its heartbeat does not beat, its leases pass, the taker resumes its runs
    owner.proc.kill("SIGUSR2")
    const stoppedAt = Date.now()
    const endedBefore = (await ends(store, prefix)).ended
    let resumed = -1
    let stableSince = Date.now()
    for (;;) {
      await sleep(100)
      const now = Number(taker.last("resumed")?.resumed ?? 0)
      if (now !== resumed) {
        resumed = now
        stableSince = Date.now()
      }
      // every run the owner had not ended is the taker's, or nothing changed for a while
      if (resumed + endedBefore >= o.runs || (resumed > 0 && Date.now() - stableSince > 5000)) break
      if (Date.now() - stoppedAt > timeoutMillis) throw new Error("the taker resumed nothing")
    }
    say(`taker resumed ${resumed} runs while the owner was stopped ${Date.now() - stoppedAt} ms`)
    writeFileSync(base.releaseFile, "")
    const resumedAt = Date.now()
    for (;;) {
      const { ended } = await ends(store, prefix)
      if (ended >= o.runs) break
      if (Date.now() - resumedAt > timeoutMillis) throw new Error(`only ${ended}/${o.runs} runs ended`)
      await sleep(100)
    }
    const { lastEnd } = await ends(store, prefix)
    say(`every run ended ${lastEnd - resumedAt} ms after the owner went on`)
    const settled = await owner.await("settled", timeoutMillis)
    const samples: Array<Sample> = []
    for (let n = 1; n <= (o.samples ?? 3); n++) {
      await owner.await("sample", timeoutMillis)
      while (Number(owner.last("sample")?.sample ?? 0) < n) await owner.await("sample", timeoutMillis).then(() => sleep(50))
      const s = owner.last("sample")!
      samples.push({ cpuPercent: Number(s.cpuPercent), rssMB: Number(s.rssMB), heapMB: Number(s.heapMB) })
    }
    return {
      runs: o.runs,
      takenOver: resumed,
      right: Number(settled.right),
      wrong: Number(settled.wrong),
      errors: settled.errors as Record<string, number>,
      settleMillis: Number(settled.at) - lastEnd,
      runsMillis: lastEnd - resumedAt,
      startedRssMB: Number(startedRss?.rssMB ?? 0),
      samples
    }
  } finally {
    writeFileSync(base.releaseFile, "")
    for (const child of children) await child.stop()
    await store.dispose()
    await pgDatabase?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}
