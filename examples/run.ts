/**
 * Runs one of the examples: `npm run example -- <name>`. Without a name, or
 * with an unknown one, lists them.
 */
import { Effect } from "effect"

interface Example {
  readonly description: string
  readonly load: () => Promise<{ readonly main: (args: ReadonlyArray<string>) => Effect.Effect<void, unknown> }>
}

const examples: Readonly<Record<string, Example>> = {
  compose: {
    description: "knowledge ingestion, a glue template and the content pipeline composed into one flow",
    load: () => import("./compose.js")
  },
  retry: {
    description: "retry and timeout policies at work: a flaky call retried, a slow one replaced, runs that fail",
    load: () => import("./retry.js")
  },
  approval: {
    description: "a human approval answered from a second command: `approval start`, then `approval approve <runId>`",
    load: () => import("./approval.js")
  },
  crash: {
    description: "crash and resume on SQLite: a child process killed with SIGKILL mid-run, resumed from the file",
    load: () => import("./crash.js")
  },
  batch: {
    description: "a YAML batch with built-in steps only: read items, run a program on each (retried, skipped), validate, write",
    load: () => import("./batch/main.js")
  },
  yaml: {
    description: "order processing and data quality written again as YAML flows, loaded, checked and run (`yaml schema` writes their JSON Schema)",
    load: () => import("./yaml/main.js")
  }
}

const list = () => {
  console.log("usage: npm run example -- <name>\n")
  for (const [name, example] of Object.entries(examples)) console.log(`  ${name.padEnd(8)} ${example.description}`)
  console.log(`\n(npm start runs the demo, examples/demo.ts)`)
}

const [name, ...args] = process.argv.slice(2)
const example = name === undefined ? undefined : examples[name]

if (name === undefined) {
  list()
} else if (example === undefined) {
  console.error(`unknown example "${name}"\n`)
  list()
  process.exitCode = 1
} else {
  const { main } = await example.load()
  await Effect.runPromise(
    main(args).pipe(
      Effect.catchAll((error) =>
        Effect.sync(() => {
          console.error(`failed: ${error instanceof Error ? error.message : String(error)}`)
          process.exitCode = 1
        })
      )
    )
  )
}
