/**
 * State keys named as `Object.prototype`'s members on the PostgreSQL store:
 * the property of `test/PrototypeKeys.test.ts` (code templates: read,
 * written, across a suspension and a resume by another engine) and the YAML
 * flow of `test/yaml/PrototypeKeys.test.ts`, each in a fresh schema of the
 * scratch database.
 */
import { it } from "@effect/vitest"
import { Pg } from "weftjs/pg"
import { property } from "../prototypeKeys.js"
import { runOn } from "../yaml/prototypeKeysFlow.js"
import { describePg, unique } from "./support.js"

describePg("state keys named as Object.prototype's members on PostgreSQL", (scratch) => {
  /** One schema for the two engines of a test (as two processes sharing a database). */
  const shared = () => Pg.layerStore({ url: scratch.url, schema: `t_${unique()}` })

  it.scoped("code templates (property): read, written, across a suspension and a resume by another engine", () =>
    property(shared(), 6), 60_000)

  it.scoped("a YAML flow declaring such keys runs, across a suspension and a resume", () =>
    runOn(shared()), 60_000)
})
