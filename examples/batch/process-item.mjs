// The program the batch flow runs on each item: node process-item.mjs <id> <text> [log]
// Prints the item's result as JSON. Text with FAIL makes it fail (exit 2); with BAD it
// prints a result of the wrong shape. A log file, when given, gets "<parent pid> exec <id>".
import { appendFileSync } from "node:fs"

const [id, text, log] = process.argv.slice(2)
if (log) appendFileSync(log, `${process.ppid} exec ${id}\n`)
await new Promise((resolve) => setTimeout(resolve, 60))
if (text.includes("FAIL")) {
  console.error(`cannot process ${id}`)
  process.exit(2)
}
const words = text.split(/\s+/).filter((w) => w !== "").length
process.stdout.write(JSON.stringify(text.includes("BAD") ? { id, words: "many" } : { id, words, upper: text.toUpperCase() }))
