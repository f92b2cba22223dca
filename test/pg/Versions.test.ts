/**
 * Issue 21 through the engine on PostgreSQL: a fresh schema of the scratch
 * database per test, shared by the test's engines (its "processes").
 */
import { Effect } from "effect"
import { Pg } from "weftjs/pg"
import { versionsNestedSuite } from "../versionsNestedSuite.js"
import { versionsSuite } from "../versionsSuite.js"
import { describePg, unique } from "./support.js"

describePg("PostgreSQL engine", (scratch) => {
  versionsSuite("postgresql", Effect.sync(() => Pg.layerStore({ url: scratch.url, schema: `t_${unique()}` })))
  versionsNestedSuite("postgresql", Effect.sync(() => Pg.layerStore({ url: scratch.url, schema: `t_${unique()}` })))
})
