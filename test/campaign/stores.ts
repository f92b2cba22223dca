/**
 * The stores of the campaigns, from the supervisor's side: a SQLite file or
 * a scratch PostgreSQL database created for the campaign and dropped after
 * it, opened once (so that the children find their tables made), watched
 * while the campaign runs, and read back for the checker.
 */
import { randomBytes } from "node:crypto"
import { Effect, ManagedRuntime } from "effect"
import pg from "pg"
import { SnapshotStore } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import type { StoredRun } from "./check.js"
import type { StoreSpec } from "./child.js"

/** The PostgreSQL server of the campaigns (its database is only used to create and drop scratch ones). */
export const pgServerUrl = process.env.WEFT_CAMPAIGN_PG_URL ?? process.env.WEFT_TEST_PG_URL ??
  "postgres://root@127.0.0.1:5432/postgres"

const query = async (url: string, text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  client.on("error", () => undefined)
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Why the server cannot be reached, or `undefined` when it can. */
export const pgUnreachable = async (): Promise<string | undefined> => {
  try {
    await query(pgServerUrl, "SELECT 1")
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/** A scratch database on the server: its URL, and how to drop it. */
export const createPgDatabase = async (): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `weft_campaign_${process.pid}_${randomBytes(4).toString("hex")}`
  try {
    await query(pgServerUrl, `CREATE DATABASE ${name}`)
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${pgServerUrl} (${error instanceof Error ? error.message : String(error)}): ` +
        "start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set WEFT_CAMPAIGN_PG_URL"
    )
  }
  const url = new URL(pgServerUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => query(pgServerUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** The store of a spec, opened by the supervisor for as long as the campaign lasts. */
export const openStore = (spec: StoreSpec) =>
  ManagedRuntime.make(
    spec.kind === "sqlite"
      ? Sqlite.layerStore({ filename: spec.file })
      : Pg.layerStore({ url: spec.url, maxConnections: 2, applicationName: "weft-campaign-supervisor" })
  )

/** The supervisor's store. */
export type OpenStore = ReturnType<typeof openStore>

/** How many runs whose id starts with `prefix-` have ended (any final status). */
export const countFinal = (store: OpenStore, prefix: string): Promise<number> =>
  store.runPromise(
    Effect.map(
      Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.list({ status: ["completed", "failed", "cancelled"] })),
      // top-level runs only: a run's forEach and parallel items are child runs, ended before it
      (runs) => runs.filter((run) => run.parentId === null && run.runId.startsWith(`${prefix}-`)).length
    )
  )

/**
 * Reads back the runs `runIds` with their checkpoints; a run's result is the
 * value `key` written by its step `step`.
 */
export const readRuns = (
  store: OpenStore,
  runIds: ReadonlyArray<string>,
  result: { readonly step: string; readonly key: string }
): Promise<ReadonlyArray<StoredRun>> =>
  store.runPromise(Effect.gen(function*() {
    const s = yield* SnapshotStore.SnapshotStore
    const runs: Array<StoredRun> = []
    for (const runId of runIds) {
      const record = yield* s.getRun(runId)
      if (record._tag === "None") continue
      const steps = yield* s.steps(runId)
      const last = steps.find((step) => step.stepKey === result.step && step.status === "completed")
      runs.push({
        runId,
        status: record.value.status,
        error: record.value.error === null ? null : `${record.value.error.tag}: ${record.value.error.message}`,
        steps: steps.map((step) => ({
          stepKey: step.stepKey,
          status: step.status,
          idempotencyKey: step.idempotencyKey,
          values: Object.values(step.delta.set).map((entry) => entry.value)
        })),
        result: record.value.status === "completed" ? last?.delta.set[result.key]?.value : undefined
      })
    }
    return runs
  }))

/**
 * The top-level runs of `prefix-` that have not ended, one line each: status,
 * holder and lease, cursor, what it waits for. Read before the processes
 * stop (they hand their runs back), so that a stall says who held what.
 */
export const describeUnfinished = (store: OpenStore, prefix: string): Promise<ReadonlyArray<string>> =>
  store.runPromise(Effect.gen(function*() {
    const s = yield* SnapshotStore.SnapshotStore
    const now = Date.now()
    const runs = yield* s.list({ status: ["queued", "running", "suspended"] })
    return runs
      .filter((run) => run.parentId === null && run.runId.startsWith(`${prefix}-`))
      .map((run) =>
        `${run.runId} ${run.status} owner ${run.owner ?? "none"}` +
        (run.leaseUntil === null ? "" : ` lease ${run.leaseUntil - now} ms from now`) +
        ` generation ${run.generation} seq ${run.seq} updated ${now - run.updatedAt} ms ago` +
        (run.wakeAt === null ? "" : ` wakeAt ${run.wakeAt - now} ms from now`) +
        (run.waitingFor === null ? "" : ` waiting for ${run.waitingFor.signal}`)
      )
  }))

