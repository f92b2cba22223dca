/**
 * Helpers shared by the engine tests: temporary database files, engines that
 * stand for separate processes sharing one store, and a step that never ends.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Deferred, Duration, Effect, Exit, Layer, Scope } from "effect"
import { Engine, Settings, SnapshotStore, Step, Template, Testing } from "weftjs"

/** A fresh temporary folder, removed when the scope closes. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A database file path in a fresh temporary folder (the file itself is not created). */
export const tempFile: Effect.Effect<string, never, Scope.Scope> = Effect.map(tempDir, (dir) => join(dir, "runs.db"))

/** An engine standing for one process: its own settings, the given store, stopped with `stop`. */
export interface EngineProcess {
  readonly engine: Engine.Service
  /** Ends the process: its engine stops, its runs stay in the store as they are. */
  readonly stop: Effect.Effect<void>
}

/**
 * Starts an engine over `store` with `settings`, plus `extra` on top (a
 * background chore such as `Deadlines.layer`). Several of these over one
 * store behave as several processes sharing a database.
 */
export const engineProcess = (
  store: Layer.Layer<SnapshotStore.SnapshotStore, unknown>,
  settings: Partial<Settings.WeftSettings>,
  extra: Layer.Layer<never, never, Engine.Engine> = Layer.empty
): Effect.Effect<EngineProcess> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    // stopping a "process" is its death: no grace; and it looks for runs to take up rarely (time is fake)
    const processSettings = { shutdownGrace: Duration.zero, pollInterval: Duration.minutes(10), ...settings }
    const engineLayer = Engine.layer.pipe(
      Layer.provide(store),
      Layer.provide(Settings.layerWith(processSettings)),
      Layer.orDie
    )
    const context = yield* Layer.buildWithScope(Layer.provideMerge(extra, engineLayer), scope)
    return { engine: Context.get(context, Engine.Engine), stop: Scope.close(scope, Exit.void) }
  })

/** `Testing.awaitStatus` against a given engine, for tests with several. */
export const awaitStatusIn = (engine: Engine.Service, runId: string, status: SnapshotStore.RunStatus) =>
  Effect.provideService(Testing.awaitStatus(runId, status), Engine.Engine, engine)

/**
 * A template whose one step signals `started`, then never ends; when it is
 * interrupted it signals `interrupted`, if given.
 */
export const stuckTemplate = (started: Deferred.Deferred<void>, interrupted?: Deferred.Deferred<void>) =>
  Template.make({
    name: "stuck",
    version: "1",
    steps: [Step.make({
      name: "wait",
      requires: {},
      provides: {},
      run: () =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => interrupted === undefined ? Effect.void : Deferred.succeed(interrupted, undefined))
        )
    })]
  })
