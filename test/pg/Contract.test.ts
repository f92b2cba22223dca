/**
 * The SnapshotStore contract on the PostgreSQL store: a fresh schema of the
 * scratch database per test, and once more with a table prefix.
 */
import { controlSuite } from "../contract/RunControlContract.js"
import { fleetSuite, workersSuite } from "../contract/FleetContract.js"
import { suite } from "../contract/SnapshotStoreContract.js"
import { describePg, freshStore } from "./support.js"

describePg("PostgreSQL store", (scratch) => {
  suite("postgresql", freshStore(scratch))
  suite("postgresql (prefix app_)", freshStore(scratch, { prefix: "app_" }))
  controlSuite("postgresql", freshStore(scratch))
  controlSuite("postgresql (prefix app_)", freshStore(scratch, { prefix: "app_" }))
  fleetSuite("postgresql", freshStore(scratch))
  fleetSuite("postgresql (prefix app_)", freshStore(scratch, { prefix: "app_" }))
  workersSuite("postgresql", freshStore(scratch))
})
