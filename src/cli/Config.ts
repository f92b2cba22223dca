/**
 * The project file (`weft.config.ts`) that the `weft` command, the HTTP API
 * and YAML flows read: the templates a project runs, the steps YAML flows
 * may use, the YAML flows themselves, the services the steps need and,
 * optionally, the engine (store) to use.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step, Template } from "weftjs"
 * import { defineConfig } from "weftjs/cli"
 *
 * const greet = Step.make({
 *   name: "greet",
 *   requires: { who: Schema.String },
 *   provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })
 * const hello = Template.make({ name: "hello", version: "1", steps: [greet] })
 *
 * export default defineConfig({ templates: [hello], steps: { greet } })
 * ```
 *
 * @since 0.2.0
 */
import type { Layer } from "effect"
import type { Engine, Step, Template, Trigger } from "../index.js"

/**
 * What a project file exports (as its default export).
 *
 * @since 0.2.0
 * @category models
 */
export interface Config {
  /** The code templates of the project: what `weft run`, `weft templates`, ... know. */
  readonly templates?: ReadonlyArray<Template.Template.Any> | undefined
  /** What YAML flows may `use:`, by name: steps or templates. */
  readonly steps?: Readonly<Record<string, Step.Step.Any | Template.Template.Any>> | undefined
  /** YAML flows (file paths or `*` / `**` patterns, relative to the project file), loaded as templates. */
  readonly flows?: ReadonlyArray<string> | undefined
  /** The services the steps need. */
  readonly layer?: Layer.Layer<never, unknown, never> | undefined
  /**
   * What the built-in steps of YAML flows may do: `commands`, the programs
   * `command:` steps may run (exactly as their `program:` names them);
   * `files`, the folder `read:` and `write:` paths are relative to
   * (relative to the project file's folder); `env`, the names of variables
   * of this process those programs may be given (`inherit:`, `secrets:`).
   * Without them, no program runs, no file is touched and no variable but
   * `PATH` is passed on.
   */
  readonly yaml?: {
    readonly commands?: ReadonlyArray<string> | undefined
    readonly files?: string | undefined
    readonly env?: ReadonlyArray<string> | undefined
  } | undefined
  /**
   * The engine (and so the store) the commands use; default: from the
   * settings (a SQLite file, `WEFT_DATABASE`, or memory when persistence is
   * off).
   */
  readonly engine?: Layer.Layer<Engine.Engine, unknown, never> | undefined
  /**
   * Runs that start themselves (`Trigger.cron`, `Trigger.webhook`,
   * `Trigger.onEnd`): declared with the engine of `weft worker` and `weft
   * serve` (a schedule is saved in the store, idempotently), listed by
   * `weft triggers`.
   */
  readonly triggers?: ReadonlyArray<Trigger.Trigger<unknown>> | undefined
  /**
   * Migrations between versions of the project's templates
   * (`Template.migration`): what `weft migrate name@1 name@2` and
   * `weft rerun --to name@2` apply.
   *
   * @since 0.4.0
   */
  readonly migrations?: ReadonlyArray<Template.Migration> | undefined
}

type ServicesOf<T> = T extends { readonly "~types": { readonly context: infer R } } ? R : never

type Values<R> = R extends Readonly<Record<string, infer V>> ? V : never

/**
 * The services a config's templates and steps need.
 *
 * @since 0.2.0
 * @category type helpers
 */
export type Needs<C> =
  | (C extends { readonly templates: ReadonlyArray<infer T> } ? ServicesOf<T> : never)
  | (C extends { readonly steps: infer S } ? ServicesOf<Values<S>> : never)

/**
 * The services a config's layer provides.
 *
 * @since 0.2.0
 * @category type helpers
 */
export type Provides<C> = C extends { readonly layer: Layer.Layer<infer ROut, infer _E, infer _RIn> } ? ROut : never

/**
 * The compile error of a project file whose layer does not provide every
 * service its templates and steps need.
 *
 * @since 0.2.0
 * @category type helpers
 */
export interface MissingServices<Missing> {
  readonly "~weft/error": "the config's layer does not provide every service its templates and steps need"
  readonly missing: Missing
}

/**
 * `unknown` when the layer provides every service the templates and steps
 * need, else {@link MissingServices}.
 *
 * @since 0.2.0
 * @category type helpers
 */
export type CheckServices<C> = [Exclude<Needs<C>, Provides<C>>] extends [never] ? unknown
  : MissingServices<Exclude<Needs<C>, Provides<C>>>

/**
 * Gives a project file its type. It returns its argument; the compiler
 * checks that `layer` provides every service the templates and steps need
 * (a missing one is a compile error naming it).
 *
 * @since 0.2.0
 * @category constructors
 */
export const defineConfig = <const C extends Config>(config: C & CheckServices<C>): C => config
