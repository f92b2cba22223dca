import * as SnapshotStore from "../src/SnapshotStore.js"
import { fleetSuite } from "./contract/FleetContract.js"
import { suite } from "./contract/SnapshotStoreContract.js"

suite("memory", SnapshotStore.layerMemory)
fleetSuite("memory", SnapshotStore.layerMemory)
