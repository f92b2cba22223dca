/**
 * The SnapshotStore contract on the SQLite store: a fresh file per test.
 */
import { Effect, Layer } from "effect"
import { Sqlite } from "weftjs/sqlite"
import { controlSuite } from "../contract/RunControlContract.js"
import { fleetSuite, workersSuite } from "../contract/FleetContract.js"
import { suite } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"

suite("sqlite", Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))))

suite(
  "sqlite (synchronous FULL)",
  Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename, synchronous: "FULL" })))
)

suite("sqlite (:memory:)", Sqlite.layerStore({ filename: ":memory:" }))

controlSuite("sqlite", Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))))
fleetSuite("sqlite", Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))))
workersSuite("sqlite", Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))))
