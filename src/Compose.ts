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
import type { Schema } from "effect"
import type {
  CheckedArgs,
  ContextOf,
  ErrorOf,
  FoldProvides,
  FoldRequires,
  Simplify
} from "./internal/types/wiring.js"
import type * as Step from "./Step.js"
import * as Template from "./Template.js"

/**
 * The template `composeWorkflow` returns for a tuple of parts (and, with
 * {@link composeWorkflow.withInputs}, declared inputs). Like a template
 * from `Template.make`, it carries its parts (and their nodes) as positions,
 * so that a `Template.migration` between two composites is checked at every
 * node of every part.
 *
 * @since 0.1.0
 * @category models
 */
export type Composite<
  Parts extends ReadonlyArray<Template.Template.Any>,
  Inputs extends object | undefined = undefined
> =
  & Template.Template<
    Simplify<FoldRequires<Parts, Inputs>>,
    Simplify<FoldProvides<Parts, Inputs>>,
    ErrorOf<Parts[number]>,
    ContextOf<Parts[number]>
  >
  & Template.Positioned<Parts, Inputs>

type NonEmptyParts = readonly [Template.Template.Any, ...ReadonlyArray<Template.Template.Any>]

const compose = (parts: ReadonlyArray<Template.Template.Any>, inputs?: Schema.Struct.Fields) =>
  Template.make({
    name: parts.map((part) => part.name).join("+"),
    version: parts.map(Template.label).join("+"),
    steps: parts as never,
    ...(inputs === undefined ? {} : { inputs: inputs as never })
  })

/**
 * Concatenates templates. The composite is named after its parts
 * (`a+b+c`) and versioned by their labels (`a@1.0+b@2.1`, see
 * `Template.label`), so a run is pinned to the exact parts it started with.
 *
 * A part that reads a key an earlier part provides with another type does
 * not compile: the error is on that part and ends with a sentence naming the
 * key and both types.
 *
 * @since 0.1.0
 * @category constructors
 */
export const composeWorkflow: {
  <const P extends NonEmptyParts>(...parts: CheckedArgs<P>): Composite<P>
  /**
   * Declares the composite's outside inputs (Schema fields), as
   * `Template.make`'s `inputs` does: a key a part reads that is neither
   * declared nor provided by an earlier part is then a compile error naming
   * it (with a "did you mean" when a declared or provided key is close).
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { Step, Template, composeWorkflow } from "weftjs"
   *
   * const count = Template.make({ name: "count", version: "1", steps: [Step.make({
   *   name: "count", requires: { text: Schema.String }, provides: { length: Schema.Number },
   *   run: ({ text }) => Effect.succeed({ length: text.length })
   * })] })
   * const flow = composeWorkflow.withInputs({ text: Schema.String })(count)
   * ```
   *
   * @since 0.2.0
   */
  readonly withInputs: <const IF extends Schema.Struct.Fields>(
    inputs: IF
  ) => <const P extends NonEmptyParts>(...parts: CheckedArgs<P, Step.Slice<IF>>) => Composite<P, Step.Slice<IF>>
} = Object.assign(
  (...parts: ReadonlyArray<Template.Template.Any>) => compose(parts) as never,
  {
    withInputs: (inputs: Schema.Struct.Fields) => (...parts: ReadonlyArray<Template.Template.Any>) =>
      compose(parts, inputs) as never
  }
)
