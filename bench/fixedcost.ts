/**
 * A run's fixed cost, one fiber: a chain of `steps` steps run by `engine.run` `n` times in one
 * fiber (no `runPromise` per run), on a fresh engine per repetition (50 runs of warm-up), 7
 * repetitions; prints the CPU per run (min and median). For back-to-back comparisons of branches.
 *
 * Run: `npx tsx --conditions=weft-source bench/fixedcost.ts memory 1 500` (engine, steps, runs)
 */
import { Effect } from "effect"
import * as F from "./fixtures.js"
const engine = process.argv[2] ?? "memory"
const steps = Number(process.argv[3] ?? "1")
const n = Number(process.argv[4] ?? "500")
const main = async () => {
  const layer = F.engines[engine]!
  const data = F.input(1024)
  const t = F.chain(steps)
  const results: number[] = []
  for (let rep = 0; rep < 7; rep++) {
    const file = F.tmpDb("fc")
    const runtime = await F.runtimeOf(layer(file, "NORMAL"))
    await runtime.runPromise(Effect.forEach(Array.from({ length: 50 }), () => F.chainRun(t, data), { discard: true }))
    const c0 = process.cpuUsage()
    await runtime.runPromise(Effect.forEach(Array.from({ length: n }), () => F.chainRun(t, data), { discard: true }))
    const c = process.cpuUsage(c0)
    results.push((c.user + c.system) / n)
    await runtime.dispose()
    F.removeDb(file)
  }
  results.sort((a, b) => a - b)
  console.log(`${engine} N=${steps}: cpu/run min ${results[0]!.toFixed(0)} median ${results[3]!.toFixed(0)} µs`)
}
main()
