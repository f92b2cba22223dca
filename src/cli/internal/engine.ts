/**
 * The engine a project gets when its file names none: from the settings
 * (a SQLite file, `WEFT_DATABASE`, or memory when persistence is off), as
 * `Sqlite.layerDefault` builds it, with its store in context too (the web
 * view of `weft serve` shows each step's output and a running run's state
 * with it).
 *
 * @internal
 */
import { Effect, Layer } from "effect"
import { Engine, Settings, SnapshotStore } from "../../index.js"
import { Sqlite } from "../../sqlite.js"

export const defaultEngine: Layer.Layer<Engine.Engine | SnapshotStore.SnapshotStore, unknown> = Layer.unwrapEffect(
  Effect.map(Settings.get, (settings) => {
    const store = settings.statePersistence
      ? Sqlite.layerStore({ filename: settings.database })
      : SnapshotStore.layerMemory
    // the engine runs with the settings read here, not read a second time
    return Layer.provideMerge(Engine.layer, store).pipe(Layer.provide(Settings.layerWith(settings)))
  })
)
