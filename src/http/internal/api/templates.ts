/**
 * The JSON shapes of templates in the HTTP API: a template in short, in
 * detail (its Schemas as JSON Schema, its waits), and its structure as a
 * graph. Re-exported by `Api.ts`.
 *
 * @internal
 */
import { Schema } from "effect"
import type * as Graph from "../../../Graph.js"

/**
 * A JSON Schema document.
 *
 * @since 0.2.0
 * @category models
 */
export const JsonSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "JsonSchema"
})

/**
 * A `Durable.waitForSignal` node of a template: the signal to send, and the
 * JSON Schema of its payload.
 *
 * @since 0.2.0
 * @category models
 */
export const Wait = Schema.Struct({
  signal: Schema.String,
  /** The node's name in traces. */
  name: Schema.String,
  /** The state key the payload is written to. */
  key: Schema.String,
  schema: JsonSchema,
  timeoutMs: Schema.NullOr(Schema.Number),
  /** Whether the wait goes on with a default value when it times out. */
  hasDefault: Schema.Boolean
})

/**
 * A template, in short.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateSummary = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  requires: Schema.Array(Schema.String),
  provides: Schema.Array(Schema.String),
  signals: Schema.Array(Schema.String)
}).annotations({ identifier: "TemplateSummary" })

const GraphKey = Schema.String.annotations({ description: "the step key, as in traces (`*` for a loop's or forEach's iteration)" })
const Concurrency = Schema.Union(Schema.Number, Schema.Literal("unbounded"))
const GraphNodes = Schema.Array(Schema.suspend((): Schema.Schema<Graph.Node> => GraphNode))
const GraphArm = Schema.Struct({
  label: Schema.String,
  template: Schema.NullOr(Schema.String),
  nodes: Schema.NullOr(GraphNodes)
})

/**
 * One node of a template's structure (`Graph.Node` of `weftjs`).
 *
 * @since 0.2.0
 * @category models
 */
export const GraphNode: Schema.Schema<Graph.Node> = Schema.Union(
  Schema.Struct({
    _tag: Schema.Literal("Step"),
    key: GraphKey,
    name: Schema.String,
    requires: Schema.Array(Schema.String),
    provides: Schema.Array(Schema.String),
    retry: Schema.Boolean,
    timeoutMs: Schema.NullOr(Schema.Number),
    onError: Schema.Literal("fail", "skip"),
    fallback: Schema.NullOr(Schema.String)
  }),
  Schema.Struct({ _tag: Schema.Literal("Sleep"), key: GraphKey, name: Schema.String, durationMs: Schema.Number }),
  Schema.Struct({
    _tag: Schema.Literal("Wait"),
    key: GraphKey,
    name: Schema.String,
    signal: Schema.String,
    stateKey: Schema.String,
    timeoutMs: Schema.NullOr(Schema.Number)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Subflow"),
    key: GraphKey,
    name: Schema.String,
    graph: Schema.suspend((): Schema.Schema<Graph.Graph> => TemplateGraph)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Template"),
    key: GraphKey,
    name: Schema.String,
    version: Schema.String,
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("Branch"),
    key: GraphKey,
    name: Schema.String,
    reads: Schema.Array(Schema.String),
    arms: Schema.Array(GraphArm)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Loop"),
    key: GraphKey,
    name: Schema.String,
    maxIterations: Schema.Number,
    check: Schema.Literal("before", "after"),
    reads: Schema.Array(Schema.String),
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("ForEach"),
    key: GraphKey,
    name: Schema.String,
    over: Schema.String,
    as: Schema.String,
    into: Schema.String,
    concurrency: Concurrency,
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("Parallel"),
    key: GraphKey,
    name: Schema.String,
    mode: Schema.Literal("all", "first"),
    concurrency: Concurrency,
    branches: Schema.Array(GraphArm)
  })
).annotations({ identifier: "GraphNode" })

/**
 * A template's structure (`Graph.Graph` of `weftjs`): steps, branches,
 * loops, forEach, parallel branches, sleeps, waits, sub-flows.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateGraph: Schema.Schema<Graph.Graph> = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  requires: Schema.Array(Schema.String),
  provides: Schema.Array(Schema.String),
  nodes: GraphNodes
}).annotations({ identifier: "TemplateGraph" })

/**
 * A template in full: the JSON Schemas of its input and output, its waits,
 * and its structure.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateDetail = Schema.Struct({
  ...TemplateSummary.fields,
  input: JsonSchema,
  output: JsonSchema,
  waits: Schema.Array(Wait),
  graph: TemplateGraph,
  /**
   * The JSON Schema of its whole state: one property per key it requires
   * or provides (what a fork's patch may set; the web view's fork form is
   * built from it).
   *
   * @since 0.4.0
   */
  state: Schema.optional(JsonSchema),
  /**
   * The versions (`name@version`) a run of this version can be migrated or
   * forked onto: those the server declares a migration to.
   *
   * @since 0.4.0
   */
  migrations: Schema.optional(Schema.Array(Schema.String))
})

/**
 * @since 0.2.0
 * @category models
 */
export type TemplateDetail = typeof TemplateDetail.Type
