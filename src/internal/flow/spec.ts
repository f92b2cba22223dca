/**
 * What a control-flow node does, at run time: the description the
 * interpreter runs and the graph draws (`Flow.Spec`).
 *
 * @internal
 */
import type { Schema } from "effect"
import type { Concurrency } from "../../Flow.js"
import type * as Template from "../../Template.js"

/**
 * What a control-flow node does, at run time.
 *
 * @since 0.1.0
 * @category models
 */
export type Spec =
  | {
    readonly kind: "branch"
    /** The Schemas of the keys the selector reads. */
    readonly requires: Schema.Struct.Fields
    /** Returns the label of the arm to run. */
    readonly select: (input: never) => string
    /** Every label, in declaration order; a label without a template runs nothing. */
    readonly labels: ReadonlyArray<string>
    readonly arms: Readonly<Record<string, Template.Template.Any | undefined>>
  }
  | {
    readonly kind: "loop"
    readonly requires: Schema.Struct.Fields
    readonly while: (input: never) => boolean
    readonly body: Template.Template.Any
    readonly maxIterations: number
    /** `"before"`: the predicate is checked before each iteration; `"after"`: after each. */
    readonly check: "before" | "after"
  }
  | {
    readonly kind: "forEach"
    readonly over: string
    readonly as: string
    readonly body: Template.Template.Any
    readonly collect: string
    readonly into: string
    readonly concurrency: Concurrency
  }
  | {
    readonly kind: "parallel"
    readonly labels: ReadonlyArray<string>
    readonly branches: Readonly<Record<string, Template.Template.Any>>
    readonly concurrency: Concurrency
    readonly mode: "all" | "first"
    readonly merge: Readonly<Record<string, (values: ReadonlyArray<never>) => unknown>>
  }
