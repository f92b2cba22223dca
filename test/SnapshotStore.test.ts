import * as SnapshotStore from "../src/SnapshotStore.js"
import { suite } from "./contract/SnapshotStoreContract.js"

suite("memory", SnapshotStore.layerMemory)
