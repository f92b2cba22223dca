/**
 * A PostgreSQL engine in a steady loop, for profiling (`bench/profile.ts
 * --entry=bench/pgHot.ts`) and quick before/after checks: `--runs` runs of
 * `--steps` steps one at a time (or `--atOnce` at a time) on a scratch
 * schema (dropped after, unless `KEEP=<schema>` names one to keep), after a
 * warm-up; prints the wall and CPU time per run and per step, and the
 * database's commits per run (`pg_stat_database.xact_commit`: anything else
 * committing in that database counts too).
 *
 * Run: `npx tsx --conditions=weft-source bench/pgHot.ts --steps=1 --runs=500 [--atOnce=1]`
 * (server: `WEFT_BENCH_PG_URL`, else `postgres://postgres@127.0.0.1:5432/test`).
 */
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import pg from "pg"
import { Engine, Step, Template } from "weftjs"
import { Pg } from "weftjs/pg"
import { pgSettings } from "./fixtures.js"
import * as S from "./stats.js"

const argument = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=") ?? fallback
const steps = Number(argument("steps", "1"))
const runs = Number(argument("runs", "500"))
const atOnce = Number(argument("atOnce", "1"))
const url = process.env.WEFT_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const chain = (n: number) => {
  const nodes: Array<Step.Step.Any> = []
  for (let i = 0; i < n; i++) {
    nodes.push(Step.make({
      name: `s${i}`,
      requires: { tick: Schema.Number },
      provides: { tick: Schema.Number },
      run: ({ tick }) => Effect.succeed({ tick: tick + 1 })
    }))
  }
  return Template.make({ name: `pghot-${n}`, version: "1", steps: nodes as never }) as unknown as Template.Template<
    { readonly tick: number },
    { readonly tick: number }
  >
}

const commits = async (client: pg.Client): Promise<number> =>
  Number((await client.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")).rows[0].xact_commit)

const main = async () => {
  const schema = process.env.KEEP ?? `hot_${process.pid}`
  const runtime = ManagedRuntime.make(
    Pg.layer({ url, schema }).pipe(
      Layer.provide(pgSettings),
      Layer.orDie
    )
  )
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const template = chain(steps)
  const round = (count: number) =>
    Effect.flatMap(Engine.Engine, (engine) =>
      Effect.forEach(Array.from({ length: count }, (_, i) => i), () => engine.run(template, { tick: 0 }), {
        concurrency: atOnce,
        discard: true
      }))
  try {
    await runtime.runPromise(round(Math.min(50, runs)))
    const before = await commits(admin)
    const stop = S.stopwatch()
    await runtime.runPromise(round(runs))
    const time = stop()
    const after = await commits(admin)
    console.log(`${runs} runs of ${steps} steps, ${atOnce} at once: per run wall ${S.us(time.wall / runs)}, CPU ${
      S.us(time.cpu / runs)
    }; per step wall ${S.us(time.wall / runs / steps)}; commits per run ${((after - before - 2) / runs).toFixed(2)}`)
  } finally {
    await runtime.dispose()
    if (process.env.KEEP === undefined) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined)
    await admin.end()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
