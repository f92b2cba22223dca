import { Effect, Layer } from "effect"
import * as SnapshotStore from "../src/SnapshotStore.js"
import * as SqlSnapshotStore from "../src/SqlSnapshotStore.js"
import { suite } from "./contract/SnapshotStoreContract.js"
import { tempFile } from "./support.js"

/** A SQLite store on a fresh file in a fresh temporary folder, removed when the layer is released. */
const sqliteOnTempFile = Layer.unwrapScoped(Effect.map(tempFile, (filename) => SqlSnapshotStore.layer({ filename })))

suite("memory", SnapshotStore.layerMemory)
suite("sqlite file", sqliteOnTempFile)
