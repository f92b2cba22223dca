import * as SnapshotStore from "../src/SnapshotStore.js"
import { controlSuite } from "./contract/RunControlContract.js"
import { fleetSuite, workersSuite } from "./contract/FleetContract.js"
import { suite } from "./contract/SnapshotStoreContract.js"

suite("memory", SnapshotStore.layerMemory)
controlSuite("memory", SnapshotStore.layerMemory)
fleetSuite("memory", SnapshotStore.layerMemory)
workersSuite("memory", SnapshotStore.layerMemory)
