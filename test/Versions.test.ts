/**
 * Issue 21 through the engine, on the in-memory store and on SQLite files
 * (the PostgreSQL run is test/pg/Versions.test.ts).
 */
import { Effect } from "effect"
import { Sqlite } from "weftjs/sqlite"
import { tempFile } from "./support.js"
import { versionsNestedSuite } from "./versionsNestedSuite.js"
import { sharedMemory, versionsSuite } from "./versionsSuite.js"

versionsSuite("memory", sharedMemory)
versionsSuite("sqlite", Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename })))
versionsNestedSuite("memory", sharedMemory)
versionsNestedSuite("sqlite", Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename })))
