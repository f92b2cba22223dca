/**
 * `composeWorkflow(a, b, c, ...)`: concatenates templates into one.
 *
 * At compile time every key a later template requires is checked against
 * what earlier ones provide: a key provided with a type the later template
 * does not accept is a compile error on that template, naming the key and
 * both types; so is a key nobody upstream provides that two parts require
 * with incompatible types. Keys nobody upstream provides become requirements
 * of the composite.
 *
 * The composite keeps its parts' names: step keys in traces and snapshots read
 * `part/step`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step, Template, composeWorkflow } from "weftjs"
 *
 * const a = Template.make({ name: "a", version: "1", steps: [Step.make({
 *   name: "count", requires: { text: Schema.String }, provides: { length: Schema.Number },
 *   run: ({ text }) => Effect.succeed({ length: text.length })
 * })] })
 * const b = Template.make({ name: "b", version: "1", steps: [Step.make({
 *   name: "judge", requires: { length: Schema.Number }, provides: { long: Schema.Boolean },
 *   run: ({ length }) => Effect.succeed({ long: length > 80 })
 * })] })
 * const flow = composeWorkflow(a, b) // requires { text: string }
 * ```
 *
 * @since 0.1.0
 */
import type { Checked, ContextOf, ErrorOf, FoldProvides, FoldRequires, Simplify } from "./internal/wiring.js"
import * as Template from "./Template.js"

/**
 * The template `composeWorkflow` returns for a tuple of parts.
 *
 * @since 0.1.0
 * @category models
 */
export type Composite<Parts extends ReadonlyArray<Template.Template.Any>> = Template.Template<
  Simplify<FoldRequires<Parts>>,
  Simplify<FoldProvides<Parts>>,
  ErrorOf<Parts[number]>,
  ContextOf<Parts[number]>
>

/**
 * Concatenates templates. The composite is named after its parts
 * (`a+b+c`) and versioned by theirs (`a@1.0+b@2.1`), so a run is pinned to
 * the exact parts it started with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const composeWorkflow = <
  const Parts extends readonly [Template.Template.Any, ...ReadonlyArray<Template.Template.Any>]
>(...parts: Parts & Checked<Parts>): Template.Template<
  Simplify<FoldRequires<Parts>>,
  Simplify<FoldProvides<Parts>>,
  ErrorOf<Parts[number]>,
  ContextOf<Parts[number]>
> =>
  Template.make({
    name: parts.map((part) => part.name).join("+"),
    version: parts.map((part) => `${part.name}@${part.version}`).join("+"),
    steps: parts as never
  }) as never
