import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Children, until } from "./processes.js"
import { openStore, countFinal } from "./stores.js"
import { readLog, toExecutions } from "./log.js"
const dir = mkdtempSync(join(tmpdir(), "weft-exp-"))
const log = join(dir, "exec.log"); writeFileSync(log, "")
const spec = { kind: "sqlite" as const, file: join(dir, "runs.db") }
const store = openStore(spec)
await countFinal(store, "sr")
const runs = Number(process.argv[2] ?? 3000)
const children = new Children()
const t0 = Date.now()
const starter = children.start({ role: "starter", store: spec, log, seed: 1, prefix: "sr", from: 0, to: runs, queue: "q", concurrency: 10, leaseMillis: 3000, pollMillis: 250, napMillis: 300, earlySignals: 0 })
await starter.exited
console.log("starter done", Date.now() - t0, "ms", starter.last, starter.stderr.slice(-300))
const ex = toExecutions(readLog(log))
const durations = ex.map((e) => (e.end ?? e.start) - e.start).sort((a, b) => a - b)
console.log("execs", ex.length, "p50", durations[Math.floor(durations.length / 2)], "p99", durations[Math.floor(durations.length * 0.99)], "max", durations.at(-1))
const firstStart = ex[0]!.start
const byTime = ex.filter((e) => (e.end ?? e.start) - e.start > 1000).slice(0, 5).map((e) => [e.run, e.step, Math.round(e.start - firstStart), Math.round((e.end ?? 0) - e.start)])
console.log(byTime)
await store.dispose()
