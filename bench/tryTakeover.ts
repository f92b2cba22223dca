import { takeover } from "../test/process/takeover.js"
const runs = Number(process.argv[2] ?? 300)
const store = (process.argv[3] ?? "sqlite") as "sqlite" | "pg"
const flags = process.argv[4] ? process.argv[4].split(" ") : []
const t0 = Date.now()
const r = await takeover({ store, runs, say: (l) => console.log(new Date().toISOString().slice(11, 19), l), ownerFlags: flags, timeoutMillis: 300_000 })
console.log(JSON.stringify(r), `total ${Date.now() - t0} ms`)
