/**
 * How `Yaml.load` grows with the number of steps: loads flows of N chained
 * steps (`yamlFixtures.ts`: a registry of N steps, each reading the key the
 * one before wrote, a `with:` reference every other step, a `branch` every
 * tenth) after a warm-up, and prints for each size the least time of
 * `--repeat` loads, on two clocks — this process's CPU time (user + system:
 * what the work costs, whatever else the machine runs) and wall time — per
 * step, and the ratio of each size's CPU time per step to the smallest
 * size's (linear ⇒ about 1×). The floor is the `yaml` package's
 * `parseDocument` of the same text with the options `Yaml.load` gives it
 * (the part of a load weft does not own), shown apart.
 *
 * Run: `npx tsx --conditions=weft-source bench/yamlLoad.ts [--sizes=500,1000,4000,10000] [--repeat=3]`
 * (in a checkout whose tsconfig maps `weftjs` with `paths`, plain `npx tsx bench/yamlLoad.ts`).
 * Profile: bundle it (`npx esbuild bench/yamlLoad.ts --bundle --platform=node --format=esm
 * --packages=external --outfile=bench/.yamlLoad.mjs`), then `node --cpu-prof bench/.yamlLoad.mjs --sizes=4000 --repeat=1`.
 */
import { Effect, Either } from "effect"
import { LineCounter, parseDocument } from "yaml"
import { Yaml } from "weftjs/yaml"
import { flowOf, registryOf } from "./yamlFixtures.js"

const argument = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=") ?? fallback

const sizes = argument("sizes", "500,1000,4000,10000").split(",").map(Number)
const repeat = Number(argument("repeat", "3"))

interface Time {
  readonly cpu: number
  readonly wall: number
}

/** The CPU and wall milliseconds of `f`. */
const timed = (f: () => void): Time => {
  const cpu = process.cpuUsage()
  const start = performance.now()
  f()
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { cpu: (used.user + used.system) / 1000, wall }
}

/** The least of `repeat` times, per clock. */
const least = (f: () => void): Time => {
  let best: Time = { cpu: Infinity, wall: Infinity }
  for (let r = 0; r < repeat; r++) {
    const t = timed(f)
    best = { cpu: Math.min(best.cpu, t.cpu), wall: Math.min(best.wall, t.wall) }
  }
  return best
}

const load = (source: string, registry: Yaml.Registry) => () => {
  const result = Effect.runSync(Effect.either(Yaml.load(source, { file: "chain.yaml", registry })))
  if (Either.isLeft(result)) throw new Error(result.left.message.slice(0, 2000))
}

const floor = (source: string) => () => {
  parseDocument(source, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true, strict: true })
}

const ms = (x: number): string => x.toFixed(0).padStart(6)
const us = (x: number): string => x.toFixed(0).padStart(5)

const main = (): void => {
  load(flowOf(50), registryOf(50))() // warm-up
  floor(flowOf(50))()
  let first: { readonly n: number; readonly cpu: number } | undefined
  console.log("  steps   load: cpu ms  wall ms  cpu µs/step  × per step (cpu)   yaml parse alone: cpu ms  wall ms")
  for (const n of sizes) {
    const source = flowOf(n)
    const registry = registryOf(n)
    const total = least(load(source, registry))
    const parse = least(floor(source))
    first ??= { n, cpu: total.cpu }
    const ratio = (total.cpu / n) / (first.cpu / first.n)
    console.log(
      `${String(n).padStart(7)}  ${ms(total.cpu)}    ${ms(total.wall)}   ${us((total.cpu / n) * 1000)}        ${ratio.toFixed(2)}×` +
        `             ${ms(parse.cpu)}   ${ms(parse.wall)}`
    )
  }
}

main()
