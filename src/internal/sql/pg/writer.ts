/**
 * The PostgreSQL store's own connections for the writes of executing runs
 * (a run created claimed, its checkpoints, its end), and group commit of
 * checkpoints.
 *
 * - **Prepared once.** Each statement is sent as a *named* statement, so a
 *   connection parses and plans it once and then only binds values; and it
 *   goes straight to the `pg` client, without the SQL client's per-query
 *   work (a pool checkout, a span, a compile). A store has at most
 *   {@link maxConnections} of these connections, opened when first needed,
 *   under the pool's `application_name`.
 * - **Group commit.** Checkpoints that arrive while a batch of them is on
 *   its way share the next statement: one round trip and one commit for the
 *   batch (`UPDATE … FROM unnest(…)` fenced per row, then the rows'
 *   `INSERT`). A lone checkpoint is sent at once, as the one-row statement.
 *   A row whose fence does not hold (its lease lost, its run cancelled) is
 *   not written and only its caller learns it. When the batch's statement
 *   fails on the server (a duplicate step, a deadlock, a value the server
 *   refuses), nothing of it was written, and each of its checkpoints is sent
 *   again on its own, so the fault reaches only the caller it belongs to. A
 *   lost connection fails every caller of the batch with that fault (each
 *   run's write is then tried again by the engine, as for any transient
 *   fault).
 * - **Dead connections.** A connection that failed while idle is dropped
 *   and a new one opened before anything is sent on it; a statement in
 *   flight when its connection dies fails with the connection's fault.
 *
 * @internal
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import * as Pg from "pg"
import type { Row } from "../schema.js"
import { reasonOfState, serverErrorOf } from "./errors.js"
import type { Bound } from "./sql.js"

/** How many connections a store's writer opens at most. */
export const maxConnections = 4

/** The most checkpoints one statement writes. */
export const maxBatch = 256

interface Connection {
  readonly client: Pg.Client
  /** Settles when the statements sent so far have (one statement at a time per connection). */
  tail: Promise<unknown>
  broken: boolean
  busy: number
}

/** Counters of the writer (for tests and benchmarks). */
export interface WriterStats {
  /** Statements of batched checkpoints sent (one round trip each). */
  batches: number
  /** Checkpoints written by them. */
  batchedRows: number
  /** Batches whose statement failed on the server, their checkpoints then sent one by one. */
  replayed: number
}

/** A statement's fault as the SQL client gives one. */
const sqlError = (cause: unknown): SqlError => new SqlError({ cause, message: "Failed to execute statement" })

/** Whether a fault is the connection's (every statement of its batch failed with it) rather than one statement's. */
export const isConnectionFault = (cause: unknown): boolean => {
  const server = serverErrorOf(cause)
  return server === undefined || reasonOfState(server.code) === "unavailable"
}

/** A batch's items, and what the statement of several of them returns: the keys it wrote. */
export interface Group<P> {
  /** The run an item belongs to: a batch holds one item per run. */
  readonly key: (p: P) => string
  /** The statement writing one item: written when it returns a row. */
  readonly one: (p: P) => Bound
  /** The statement writing several items (of distinct keys): returns the `run_id` of each written. */
  readonly many: (ps: ReadonlyArray<P>) => Bound
}

interface Pending<P> {
  readonly item: P
  readonly resume: (outcome: Effect.Effect<boolean, SqlError>) => void
}

/**
 * Items written in batches over `send`: an item that arrives while a batch
 * is on its way joins the next one. `true` when the item was written,
 * `false` when its statement wrote nothing (its fence did not hold).
 */
const makeGroup = <P>(
  send: (bound: Bound) => Promise<ReadonlyArray<Row>>,
  stats: WriterStats,
  spec: Group<P>
) => {
  let queue: Array<Pending<P>> = []
  let sending = false
  let scheduled = false

  const settle = (pending: Pending<P>, written: boolean) => pending.resume(Effect.succeed(written))
  const fail = (pending: Pending<P>, cause: unknown) => pending.resume(Effect.fail(sqlError(cause)))

  /** Each item on its own, one after the other. */
  const oneByOne = async (batch: ReadonlyArray<Pending<P>>) => {
    for (const pending of batch) {
      try {
        settle(pending, (await send(spec.one(pending.item))).length > 0)
      } catch (cause) {
        fail(pending, cause)
      }
    }
  }

  const write = async (batch: ReadonlyArray<Pending<P>>) => {
    if (batch.length === 1) return oneByOne(batch)
    let rows: ReadonlyArray<Row>
    try {
      stats.batches++
      stats.batchedRows += batch.length
      rows = await send(spec.many(batch.map((p) => p.item)))
    } catch (cause) {
      if (isConnectionFault(cause)) {
        for (const pending of batch) fail(pending, cause)
        return
      }
      // nothing of the batch was written: each item again, alone, so that the fault is its own
      stats.replayed++
      return oneByOne(batch)
    }
    const written = new Set<unknown>()
    for (const row of rows) written.add(row.run_id)
    for (const pending of batch) settle(pending, written.has(spec.key(pending.item)))
  }

  /** Sends what is queued (one item per run, at most `maxBatch`), then what queued meanwhile. */
  const flush = (): void => {
    scheduled = false
    if (sending || queue.length === 0) return
    const batch: Array<Pending<P>> = []
    const keys = new Set<string>()
    let rest = 0
    for (; rest < queue.length && batch.length < maxBatch; rest++) {
      const key = spec.key(queue[rest]!.item)
      if (keys.has(key)) break
      keys.add(key)
      batch.push(queue[rest]!)
    }
    queue = queue.slice(rest)
    sending = true
    write(batch).finally(() => {
      sending = false
      flush()
    })
  }

  return (item: P): Effect.Effect<boolean, SqlError> =>
    // no canceler: an interrupted caller's item is written all the same (its step did complete)
    Effect.async<boolean, SqlError>((resume) => {
      queue.push({ item, resume })
      if (!sending && !scheduled) {
        scheduled = true
        queueMicrotask(flush)
      }
    })
}

/** The writer of a store: its connections (closed with `close`), single statements and grouped ones. */
export const makeWriter = (config: Pg.ClientConfig) => {
  const connections: Array<Connection> = []
  const names = new Map<string, string>()
  const stats: WriterStats = { batches: 0, batchedRows: 0, replayed: 0 }
  let closed = false

  const open = (): Connection => {
    const client = new Pg.Client(config)
    const connection: Connection = { client, broken: false, busy: 0, tail: Promise.resolve() }
    const opened = client.connect().catch((error: unknown) => {
      connection.broken = true
      throw error
    })
    connection.tail = opened
    const fail = () => {
      connection.broken = true
    }
    client.on("error", fail)
    client.on("end", fail)
    connections.push(connection)
    return connection
  }

  /** An idle connection, else a new one while there are fewer than the most, else the least busy. */
  const pick = (): Connection => {
    for (let i = connections.length - 1; i >= 0; i--) {
      const c = connections[i]!
      if (c.broken) {
        connections.splice(i, 1)
        c.client.end().catch(() => undefined)
      }
    }
    let best: Connection | undefined
    for (const c of connections) if (best === undefined || c.busy < best.busy) best = c
    if (best !== undefined && (best.busy === 0 || connections.length >= maxConnections)) return best
    return open()
  }

  /** Sends a statement (named: prepared once per connection); its rows. */
  const send = async (bound: Bound): Promise<ReadonlyArray<Row>> => {
    if (closed) throw new Error("Connection terminated: the store is closed")
    const connection = pick()
    let name = names.get(bound[0])
    if (name === undefined) {
      name = `weft_${names.size + 1}`
      names.set(bound[0], name)
    }
    const config = { name, text: bound[0], values: bound[1] as Array<unknown> }
    connection.busy++
    // after the connection's statements before it (and its opening: a failed one fails this one)
    const result = connection.tail.then(() => connection.client.query<Row>(config))
    connection.tail = result.catch(() => undefined)
    try {
      return (await result).rows
    } finally {
      connection.busy--
    }
  }

  /** One statement; its rows. */
  const query = (bound: Bound): Effect.Effect<ReadonlyArray<Row>, SqlError> =>
    Effect.async<ReadonlyArray<Row>, SqlError>((resume) => {
      send(bound).then(
        (rows) => resume(Effect.succeed(rows)),
        (cause: unknown) => resume(Effect.fail(sqlError(cause)))
      )
    })

  const group = <P>(spec: Group<P>) => makeGroup(send, stats, spec)

  /** Ends the connections. */
  const close = (): Promise<void> => {
    closed = true
    const ending = connections.splice(0).map((c) => c.client.end().catch(() => undefined))
    return Promise.all(ending).then(() => undefined)
  }

  return { query, group, close, stats }
}

/** A store's writer. */
export type Writer = ReturnType<typeof makeWriter>
