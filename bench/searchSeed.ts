/**
 * Seeding a store with many finished runs and their search attributes, by
 * bulk `INSERT … SELECT` in the database itself (a million runs in seconds):
 * for the search benchmark (`bench/search.ts`) and the system test of search
 * over 100,000 runs. Run `i` (1…n) is `run-<i, 7 digits>`, created at
 * `t0 + i` seconds, of template `orders@1`, failed when `i % 10 = 0`, with
 * the attributes `orderId = i`, `customer = "c<i % 1000>"`, `amount = i % 997`.
 */

/** When run 1 was created (epoch ms). */
export const seedT0 = 1_700_000_000_000

type Dialect = "sqlite" | "pg"

/** The statements that seed `n` runs on a migrated database with the default `weft_` tables. */
export const seedStatements = (dialect: Dialect, n: number): ReadonlyArray<string> => {
  const series = dialect === "pg"
    ? `generate_series(1, ${n}) AS c(i)`
    : `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) SELECT i FROM s) c`
  const id = dialect === "pg" ? `'run-' || lpad(c.i::text, 7, '0')` : `'run-' || printf('%07d', c.i)`
  const created = `${seedT0} + c.i * 1000`
  const search = (name: string, text: string, num: string) =>
    `INSERT INTO weft_search (run_id, name, value_text, value_num, created_at)
SELECT ${id}, '${name}', ${text}, ${num}, ${created} FROM ${series}`
  return [
    `INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at, updated_at, expires_at,
  timeout_ms, elapsed_ms, root_id, queue, generation)
SELECT ${id}, 'orders', '1', CASE WHEN c.i % 10 = 0 THEN 'failed' ELSE 'completed' END, 0, ${created},
  ${created} + 500, NULL, 0, 500, ${id}, 'default', 1 FROM ${series}`,
    search("orderId", "NULL", "c.i"),
    search("customer", dialect === "pg" ? "'c' || (c.i % 1000)::text" : "'c' || (c.i % 1000)", "NULL"),
    search("amount", "NULL", "c.i % 997"),
    dialect === "pg" ? "ANALYZE" : "ANALYZE"
  ]
}

/** The searches the benchmark and the system test time and check. */
export const searches = [
  { name: "orderId = 4711", filter: { where: [{ key: "orderId", op: "=", value: 4711 }], limit: 50 } },
  {
    name: "customer = c42 and amount > 60",
    filter: { where: [{ key: "customer", op: "=", value: "c42" }, { key: "amount", op: ">", value: 60 }], limit: 50 }
  },
  { name: "run-id prefix run-000471", filter: { runIdPrefix: "run-000471", limit: 50 } },
  {
    name: "orderId in [5000, 5100) created in a window",
    filter: {
      where: [{ key: "orderId", op: ">=", value: 5000 }, { key: "orderId", op: "<", value: 5100 }],
      createdAfter: seedT0 + 5050 * 1000,
      limit: 50
    }
  }
] as const
