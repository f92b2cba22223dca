import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import * as SnapshotStore from "../src/SnapshotStore.js"
import * as SqlSnapshotStore from "../src/SqlSnapshotStore.js"
import { suite } from "./contract/SnapshotStoreContract.js"

/** A SQLite store on a fresh file in a fresh temporary folder, removed when the layer is released. */
const sqliteOnTempFile = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-contract-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => SqlSnapshotStore.layer({ filename: join(dir, "weft.db") })
  )
)

suite("memory", SnapshotStore.layerMemory)
suite("sqlite file", sqliteOnTempFile)
