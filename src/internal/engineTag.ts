/**
 * The engine's tag for the modules the engine is built on: `Durable` reaches
 * the engine (a wait's `send`) through it, without loading `Engine.ts` and
 * the runtime behind it. The service is the one `Engine.Engine` provides:
 * both tags have the same key.
 *
 * @internal
 */
import { Context } from "effect"
import type { Engine, Service } from "../Engine.js"

/** The key of the engine's tag. */
export const engineKey = "weft/Engine"

/** The engine, by its key: the service `Engine.Engine` provides. */
export const EngineTag = Context.GenericTag<Engine, Service>(engineKey)
