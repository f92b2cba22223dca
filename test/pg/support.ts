/**
 * What the PostgreSQL tests share: the server (`WEFT_TEST_PG_URL`, default
 * `postgres://root@127.0.0.1:5432/test`), a scratch database per test file
 * (created before its tests, dropped after), fresh schemas in it, and
 * helpers that act on the server from outside a store (list, kill
 * backends).
 *
 * When the server cannot be reached, the PostgreSQL suites are skipped with
 * a warning, except in CI (`CI` set), where they fail: they are never
 * silently skipped there.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe } from "@effect/vitest"
import { Effect, Layer } from "effect"
import pg from "pg"
import { Pg } from "weftjs/pg"

/** The server the tests use; its database is only used to create and drop scratch ones. */
export const serverUrl = process.env.WEFT_TEST_PG_URL ?? "postgres://root@127.0.0.1:5432/test"

/** The URL of the same server with another database. */
const withDatabase = (url: string, database: string): string => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Runs one query on a connection of its own. */
export const query = async (url: string, text: string, values: ReadonlyArray<unknown> = []) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  client.on("error", () => undefined)
  await client.connect()
  try {
    return (await client.query(text, values as Array<unknown>)).rows as ReadonlyArray<Record<string, unknown>>
  } finally {
    await client.end().catch(() => undefined)
  }
}

const probe = async (): Promise<string | undefined> => {
  try {
    await query(serverUrl, "SELECT 1")
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

const unreachable = await probe()
if (unreachable !== undefined && process.env.CI !== undefined) {
  throw new Error(
    `PostgreSQL is not reachable at ${serverUrl} (${unreachable}); the PostgreSQL tests must run in CI. ` +
      "Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set WEFT_TEST_PG_URL."
  )
}
if (unreachable !== undefined) {
  console.warn(`weft: PostgreSQL tests skipped: ${serverUrl} is not reachable (${unreachable}); set WEFT_TEST_PG_URL`)
}

/** A short random name part. */
export const unique = (): string => randomBytes(5).toString("hex")

/** The scratch database of the current test file: its URL is known once its tests start. */
export interface Scratch {
  readonly url: string
  readonly database: string
}

/**
 * `describe`, with a scratch database created before the tests and dropped
 * (connections and all) after them; skipped (loudly) when there is no server
 * outside CI.
 */
export const describePg = (name: string, body: (scratch: Scratch) => void): void => {
  const suite = unreachable === undefined ? describe : describe.skip
  suite(name, () => {
    const database = `weft_test_${process.pid}_${unique()}`
    const scratch: Scratch = { url: withDatabase(serverUrl, database), database }
    beforeAll(async () => {
      await query(serverUrl, `CREATE DATABASE ${database}`)
    })
    afterAll(async () => {
      await query(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    })
    body(scratch)
  })
}

/** A store in a fresh schema of the scratch database (so every test starts empty). */
export const freshStore = (scratch: Scratch, options: Partial<Pg.StoreOptions> = {}) =>
  Layer.unwrapEffect(
    Effect.sync(() => Pg.layerStore({ url: scratch.url, schema: `t_${unique()}`, ...options }))
  )

/** The backends of the scratch database whose `application_name` is `name`. */
export const backendsOf = (scratch: Scratch, name: string) =>
  Effect.promise(() =>
    query(
      serverUrl,
      "SELECT pid, state, wait_event_type FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
      [scratch.database, name]
    )
  )

/** Ends backends of the scratch database as an administrator would (`pg_terminate_backend`). */
export const terminate = (pids: ReadonlyArray<unknown>) =>
  Effect.promise(() => query(serverUrl, "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]))
