/**
 * One engine cell in a steady loop, for profiling (`bench/profile.ts
 * --entry=bench/hot.ts`) and for quick before/after checks: runs chains of
 * `--steps` steps, `--runs` at once, for about `--seconds`, in windows of
 * half a second, each on a fresh engine (built before its clock starts, so
 * that the in-memory store's history does not grow from one window to the
 * next), alternated with windows of the chain's first step alone, and
 * prints per step the CPU and wall time of whole runs (fixed cost included)
 * and the marginal time ((whole − first step alone) / (N − 1)), and the
 * fixed cost per run (the first step alone, that step included): from the least window of each kind, and from the medians (a
 * shared machine is noisy; the least is the steadiest figure).
 *
 * Run: `npx tsx --conditions=weft-source bench/hot.ts --engine=sqlite --sync=NORMAL --steps=100 --runs=1 --bytes=1024 --seconds=5`
 */
import { Effect } from "effect"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

const argument = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=") ?? fallback

const engine = argument("engine", "memory")
const sync = argument("sync", "NORMAL") as "NORMAL" | "FULL"
const steps = Number(argument("steps", "100"))
const runs = Number(argument("runs", "1"))
const bytes = Number(argument("bytes", "1024"))
const seconds = Number(argument("seconds", "5"))

const main = async (): Promise<void> => {
  const layer = F.engines[engine]
  if (layer === undefined) throw new Error(`no engine "${engine}"`)
  const data = F.input(bytes)
  const roundOf = (template: F.Chain): Effect.Effect<unknown, unknown, F.EngineTag> =>
    runs === 1
      ? F.chainRun(template, data)
      : Effect.all(Array.from({ length: runs }, () => F.chainRun(template, data)), { concurrency: "unbounded" })
  const whole = roundOf(F.chain(steps))
  const head = roundOf(F.chain(1))
  /** One window on a fresh engine: time per run, and how many runs. */
  const window = async (round: typeof whole, millis: number): Promise<readonly [S.Time, number]> => {
    const file = F.tmpDb("hot")
    const runtime = await F.runtimeOf(layer(file, sync))
    try {
      const stop = S.stopwatch()
      let rounds = 0
      const until = S.now() + millis
      while (S.now() < until) {
        await runtime.runPromise(round)
        rounds++
      }
      return [S.mapTime(stop(), (t) => t / (rounds * runs)), rounds * runs] as const
    } finally {
      await runtime.dispose()
      F.removeDb(file)
    }
  }
  try {
    await window(whole, seconds * 100)
    await window(head, seconds * 100)
    // windows of the whole chain and of its first step alone, alternated
    const wholes: Array<S.Time> = []
    const heads: Array<S.Time> = []
    let total = 0
    const end = S.now() + seconds * 1000
    while (S.now() < end) {
      const [time, count] = await window(whole, 400)
      wholes.push(time)
      total += count
      heads.push((await window(head, 200))[0])
    }
    const least = (times: ReadonlyArray<S.Time>, clock: S.Clock) => Math.min(...times.map((t) => t[clock]))
    const mid = (times: ReadonlyArray<S.Time>, clock: S.Clock) => S.median(times.map((t) => t[clock]))
    const show = (clock: S.Clock) =>
      `${clock}: whole/step min ${S.us(least(wholes, clock) / steps)} median ${S.us(mid(wholes, clock) / steps)}, ` +
      `marginal/step ${S.us((least(wholes, clock) - least(heads, clock)) / (steps - 1))} (medians ${
        S.us((mid(wholes, clock) - mid(heads, clock)) / (steps - 1))
      }), fixed/run ${S.us(least(heads, clock))}`
    console.log(`${engine}${engine === "memory" ? "" : ` ${sync}`} N=${steps} ${bytes}B runs=${runs}: ${total} runs`)
    console.log(`  ${show("cpu")}`)
    console.log(`  ${show("wall")}`)
  } finally {
    F.cleanTmp()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
