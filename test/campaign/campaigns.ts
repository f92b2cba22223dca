/**
 * The campaigns: real processes sharing one store, SIGKILLed at seeded
 * points of their progress and restarted, then a check of the log and the
 * store (see `check.ts`).
 *
 * - {@link workersCampaign}: worker processes (`Worker.layer`) executing runs
 *   of the `campaign` flow that a producer process queues, a signaller
 *   process sending `go`, and a killer (this process) that SIGKILLs a random
 *   worker or the signaller after every few dozen steps the processes start
 *   (`delay` ms after the victim's next step starts) and restarts it; on a
 *   SQLite file or a scratch PostgreSQL database.
 * - {@link startResumeCampaign}: one process starts runs with `engine.start`
 *   (and is killed and restarted along the way) while a second runs the
 *   README's resume loop (`resumer`), or is just an engine with recovery on
 *   (`recoverer`), on one SQLite file.
 *
 * Kills are tied to progress (counted in steps started), and the end of a
 * campaign to its runs' ends: no outcome depends on how fast the machine is.
 * A campaign that makes no progress at all for `stallMillis` is stopped and
 * its unfinished runs are violations.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { prng } from "../crash/harness.js"
import { check, type Findings } from "./check.js"
import type { ChildConfig, StoreSpec } from "./child.js"
import { expectedS4, expectedTotal, inputFor, runIdOf } from "./flows.js"
import { readLog, toExecutions } from "./log.js"
import { type Child, Children, until } from "./processes.js"
import { countFinal, createPgDatabase, describeUnfinished, openStore, readRuns } from "./stores.js"

/** What a campaign reports. */
export interface Report extends Findings {
  readonly name: string
  readonly seed: number
  readonly durationMs: number
  /** Processes started in all (restarts included). */
  readonly processes: number
  /** The campaign was stopped because nothing progressed for its `stallMillis`. */
  readonly stalled: boolean
  /** Processes that ended other than by a kill, a normal exit or the final SIGTERM: what they printed last. */
  readonly broken: ReadonlyArray<string>
  /** Anything worth printing besides the figures. */
  readonly notes: ReadonlyArray<string>
}

/** Whether a campaign found nothing wrong. */
export const passed = (r: Report): boolean =>
  r.violations.length === 0 && r.completed === r.runs && !r.stalled && r.broken.length === 0

/** The processes that ended other than by a kill, a normal exit or the final SIGTERM. */
const brokenOf = (children: Children): ReadonlyArray<string> =>
  children.all
    .filter((c) => c.killedAt === undefined && c.exit?.code !== 0 && c.exit?.signal !== "SIGTERM")
    .map((c) => `${c.role} ${c.pid} exited ${JSON.stringify(c.exit)}: ${c.stderr.slice(-600)}`)

/** One line of figures. */
export const formatReport = (r: Report): string =>
  `${r.name} (seed ${r.seed}): ${r.runs} runs, ${r.completed} completed, ${r.failed} failed; ` +
  `${r.kills} SIGKILLs (${r.killsMidStep} cut a step short), ${r.processes} processes; ` +
  `${r.executions} step executions, ${r.reExecutions} re-executed after a kill, ${r.retried} retried attempts; ` +
  `${r.violations.length} violations; ${(r.durationMs / 1000).toFixed(1)} s`

/** Options of {@link workersCampaign}. */
export interface WorkersOptions {
  readonly name: string
  readonly store: "sqlite" | "pg"
  readonly seed: number
  readonly runs: number
  readonly workers: number
  /** Runs one process executes at once. */
  readonly concurrency: number
  /** Steps started (by all processes) between two kills: a seeded number in this range. */
  readonly killEverySteps: readonly [number, number]
  /** A kill lands up to this many ms after the victim's next step starts. */
  readonly killDelayMs: number
  readonly leaseMillis: number
  readonly pollMillis: number
  readonly napMillis: number
  readonly stallMillis?: number | undefined
  readonly say?: ((line: string) => void) | undefined
}

const baseConfig = (o: {
  readonly store: StoreSpec
  readonly log: string
  readonly seed: number
  readonly prefix: string
  readonly runs: number
  readonly concurrency: number
  readonly leaseMillis: number
  readonly pollMillis: number
  readonly napMillis?: number | undefined
}): Omit<ChildConfig, "role"> => ({
  store: o.store,
  log: o.log,
  seed: o.seed,
  prefix: o.prefix,
  from: 0,
  to: o.runs,
  queue: "campaign",
  concurrency: o.concurrency,
  leaseMillis: o.leaseMillis,
  pollMillis: o.pollMillis,
  napMillis: o.napMillis ?? 300,
  earlySignals: 0.25
})

/** Calls `tick` every second until `done()` or no progress for `stallMillis`; says whether it stalled. */
const watch = async (
  progress: () => Promise<string>,
  done: () => boolean,
  stallMillis: number,
  say: (line: string) => void
): Promise<boolean> => {
  let last = ""
  let lastChange = Date.now()
  let lastSaid = 0
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const now = await progress()
    if (now !== last) {
      last = now
      lastChange = Date.now()
    } else if (Date.now() - lastChange > stallMillis) {
      say(`no progress for ${stallMillis / 1000} s: stopping (${now})`)
      return true
    }
    if (Date.now() - lastSaid >= 10_000) {
      lastSaid = Date.now()
      say(now)
    }
  }
  return false
}

/** Worker processes, a producer, a signaller and a killer on one store; see the module's header. */
export const workersCampaign = async (o: WorkersOptions): Promise<Report> => {
  const say = o.say ?? (() => {})
  const began = Date.now()
  const dir = mkdtempSync(join(tmpdir(), "weft-campaign-"))
  const log = join(dir, "exec.log")
  writeFileSync(log, "")
  const pgDatabase = o.store === "pg" ? await createPgDatabase() : undefined
  const spec: StoreSpec = pgDatabase !== undefined
    ? { kind: "pg", url: pgDatabase.url }
    : { kind: "sqlite", file: join(dir, "runs.db") }
  const store = openStore(spec)
  const random = prng(o.seed)
  const prefix = "c"
  const base = baseConfig({ ...o, store: spec, log, prefix })
  let ending = false
  let stepsToNextKill = 0
  const pickGap = () => o.killEverySteps[0] + Math.floor(random() * (o.killEverySteps[1] - o.killEverySteps[0] + 1))

  const victims: Array<Child> = []
  const children = new Children(() => {
    if (ending || --stepsToNextKill > 0) return
    const candidates = victims.filter((c) => c.alive && c.ready && !c.killArmed)
    if (candidates.length === 0) return
    const victim = candidates[Math.floor(random() * candidates.length)]!
    victim.killAfterNextStep(Math.floor(random() * (o.killDelayMs + 1)))
    stepsToNextKill = pickGap()
  })
  const keep = (role: ChildConfig["role"]) => {
    const child = children.start({ ...base, role })
    victims.push(child)
    void child.exited.then(() => {
      victims.splice(victims.indexOf(child), 1)
      if (!ending) keep(role)
    })
  }
  try {
    // the tables exist before any child opens the store
    await countFinal(store, prefix)
    stepsToNextKill = pickGap()
    for (let w = 0; w < o.workers; w++) keep("worker")
    keep("signaller")
    let producer = children.start({ ...base, role: "producer" })
    let produced = false
    const produce = (): void => {
      void producer.exited.then(() => {
        if (producer.exit?.code === 0) produced = true
        else if (!ending) {
          producer = children.start({ ...base, role: "producer" })
          produce()
        }
      })
    }
    produce()

    let final = 0
    const stalled = await watch(
      async () => {
        final = await countFinal(store, prefix)
        const kills = children.all.filter((c) => c.killedAt !== undefined).length
        return `${o.name}: ${final}/${o.runs} runs ended, ${children.steps} steps started, ${kills} kills`
      },
      () => produced && final >= o.runs,
      o.stallMillis ?? 120_000,
      say
    )
    ending = true
    const unfinished = stalled ? await describeUnfinished(store, prefix) : []
    const alive = children.all.filter((c) => c.alive).map((c) =>
      `${c.role} ${c.pid}${c.stderr === "" ? "" : ` (stderr: ${c.stderr.slice(-400)})`}`
    )
    await children.stopAll()

    const expected = new Map<string, unknown>()
    for (let n = 0; n < o.runs; n++) expected.set(runIdOf(prefix, n), expectedTotal(inputFor(o.seed, n)))
    const runs = await readRuns(store, [...expected.keys()], { step: "finish", key: "total" })
    const findings = check({
      executions: toExecutions(readLog(log)),
      processes: children.infos(),
      runs,
      expected
    })
    return {
      ...findings,
      name: o.name,
      seed: o.seed,
      durationMs: Date.now() - began,
      processes: children.all.length,
      stalled,
      broken: brokenOf(children),
      notes: stalled ? [`alive at the stall: ${alive.join(", ")}`, ...unfinished.map((line) => `unfinished: ${line}`)] : []
    }
  } finally {
    ending = true
    await children.stopAll()
    await store.dispose()
    await pgDatabase?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Options of {@link startResumeCampaign}. */
export interface StartResumeOptions {
  readonly name: string
  /** What the second process is. */
  readonly second: "resumer" | "recoverer"
  readonly seed: number
  readonly runs: number
  /** How many times the starting process is killed (each time after a seeded number of steps), and restarted. */
  readonly starterKills: number
  readonly leaseMillis: number
  readonly stallMillis?: number | undefined
  readonly say?: ((line: string) => void) | undefined
  /** The second process's store steals claims (see `ChildConfig.sabotage`): the checker must find violations. */
  readonly sabotage?: boolean | undefined
  /** How much longer each step takes (ms; see `ChildConfig.stepMillis`). */
  readonly stepMillis?: number | undefined
}

/** One process starts runs, a second resumes or recovers them, on one SQLite file; see the module's header. */
export const startResumeCampaign = async (o: StartResumeOptions): Promise<Report> => {
  const say = o.say ?? (() => {})
  const began = Date.now()
  const dir = mkdtempSync(join(tmpdir(), "weft-start-resume-"))
  const log = join(dir, "exec.log")
  writeFileSync(log, "")
  const spec: StoreSpec = { kind: "sqlite", file: join(dir, "runs.db") }
  const store = openStore(spec)
  const random = prng(o.seed)
  const prefix = "sr"
  const base = baseConfig({
    store: spec,
    log,
    seed: o.seed,
    prefix,
    runs: o.runs,
    concurrency: 10,
    leaseMillis: o.leaseMillis,
    pollMillis: 250
  })
  const config = o.stepMillis === undefined ? base : { ...base, stepMillis: o.stepMillis }
  let ending = false
  let killsLeft = o.starterKills
  // spread the kills over the runs' steps (4 a run)
  const pickGap = () => Math.max(1, Math.floor((o.runs * 4 / (o.starterKills + 1)) * (0.5 + random())))
  let stepsToNextKill = pickGap()
  let starter: Child | undefined
  const children = new Children((child) => {
    if (ending || child !== starter || killsLeft === 0 || --stepsToNextKill > 0) return
    killsLeft--
    child.killAfterNextStep(Math.floor(random() * 21))
    stepsToNextKill = pickGap()
  })
  try {
    await countFinal(store, prefix)
    const second = children.start({ ...config, role: o.second, sabotage: o.sabotage ? "steal-claims" : undefined })
    await until(() => second.ready || second.exit !== undefined)
    let started = false
    const start = () => {
      const child = children.start({ ...config, role: "starter" })
      starter = child
      void child.exited.then(() => {
        if (child.exit?.code === 0) started = true
        else if (!ending) start()
      })
    }
    start()
    let final = 0
    const stalled = await watch(
      async () => {
        final = await countFinal(store, prefix)
        return `${o.name}: ${final}/${o.runs} runs ended, ${children.steps} steps started, ` +
          `${children.all.filter((c) => c.killedAt !== undefined).length} kills; ${o.second}: ${JSON.stringify(second.last)}`
      },
      () => started && final >= o.runs,
      o.stallMillis ?? 120_000,
      say
    )
    ending = true
    const secondSaid = second.last
    const starterSaid = starter?.last ?? {}
    await children.stopAll()

    const expected = new Map<string, unknown>()
    for (let n = 0; n < o.runs; n++) expected.set(runIdOf(prefix, n), expectedS4(n))
    const runs = await readRuns(store, [...expected.keys()], { step: "s4", key: "s4" })
    const findings = check({ executions: toExecutions(readLog(log)), processes: children.infos(), runs, expected })
    return {
      ...findings,
      name: o.name,
      seed: o.seed,
      durationMs: Date.now() - began,
      processes: children.all.length,
      stalled,
      broken: brokenOf(children),
      notes: [`${o.second}: ${JSON.stringify(secondSaid)}; last starter: ${JSON.stringify(starterSaid)}`]
    }
  } finally {
    ending = true
    await children.stopAll()
    await store.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}
