/**
 * Building control-flow nodes (`Flow.branch`, `match`, `loop`, `forEach`,
 * `parallel`): the checks of their names, labels and limits (a `TypeError`
 * at definition time), the Schemas each node reads, requires and writes,
 * and the node itself. The typed constructors are in `Flow.ts`.
 *
 * @internal
 */
import { Pipeable, Schema } from "effect"
import type { Concurrency, Flow, TypeId as FlowTypeId } from "../../Flow.js"
import type * as Template from "../../Template.js"
import { type Field, fieldOf, keySchema } from "../types/keySchema.js"
import type { Spec } from "./spec.js"

/** `Flow.TypeId` (the same registered symbol; `Flow.ts` declares it). */
const TypeId: FlowTypeId = Symbol.for("weft/Flow") as FlowTypeId

const proto = {
  [TypeId]: TypeId,
  _tag: "Flow",
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return Pipeable.pipeArguments(this, arguments)
  }
}

const validName = /^[A-Za-z0-9_.:-]+$/
const validLabel = /^[A-Za-z0-9_.:-]+$/

type Requirement = readonly [string, Schema.Schema.AnyNoContext]

/** The Schema of a field's value (a property signature's type; `Unknown` when it renames or transforms). */
export const valueSchema = (field: Field): Schema.Schema.AnyNoContext =>
  Schema.isSchema(field)
    ? field as Schema.Schema.AnyNoContext
    : field.ast._tag === "PropertySignatureDeclaration"
    ? Schema.make(field.ast.type)
    : Schema.Unknown

/** One Schema for a key several alternatives write: theirs, or the union of the distinct ones. */
const unionField = (fields: ReadonlyArray<Field>): Field => {
  const distinct = Array.from(new Set(fields))
  return distinct.length === 1 ? distinct[0]! : Schema.Union(...distinct.map(valueSchema))
}

/** Every key some template in `parts` provides, with one Schema for it. */
const providedFields = (parts: ReadonlyArray<Template.Template.Any>): Schema.Struct.Fields => {
  const byKey = new Map<string, Array<Field>>()
  for (const part of parts) {
    for (const [key, schema] of Object.entries(part.provides)) {
      byKey.set(key, [...(byKey.get(key) ?? []), fieldOf(schema, key)])
    }
  }
  return Object.fromEntries(Array.from(byKey, ([key, fields]) => [key, unionField(fields)]))
}

/** Refuses a bad argument of a constructor (a `TypeError`, at definition time). */
const check = (ok: boolean, message: string) => {
  if (!ok) throw new TypeError(message)
}

const checkName = (kind: string, name: string) =>
  check(
    validName.test(name),
    `Flow.${kind} name "${name}" must be non-empty and use only letters, digits, "_", "-", "." and ":"`
  )

const checkConcurrency = (kind: string, name: string, concurrency: Concurrency) =>
  check(
    concurrency === "unbounded" || (Number.isInteger(concurrency) && concurrency >= 1),
    `Flow.${kind} "${name}": concurrency must be a positive integer or "unbounded", got ${concurrency}`
  )

/** A control-flow node. */
const make = (options: {
  readonly name: string
  readonly spec: Spec
  readonly children: ReadonlyArray<Template.Template.Any>
  readonly requirements: ReadonlyArray<Requirement>
  readonly provides: Schema.Struct.Fields
  readonly reads: Schema.Struct.Fields
  readonly writes: Schema.Struct.Fields
}): Flow.Any => {
  const node = Object.create(proto)
  node.name = options.name
  node.spec = options.spec
  node.children = options.children
  node.requirements = options.requirements
  node.provides = Object.fromEntries(
    Object.entries(options.provides).map(([key, field]) => [key, keySchema(key, field)])
  )
  node.fields = { reads: options.reads, writes: options.writes }
  return node
}

/** The requirements of some fields: each key with the Schema of its value. */
const fieldRequirements = (fields: Schema.Struct.Fields): ReadonlyArray<Requirement> =>
  Object.entries(fields).map(([key, field]) => [key, keySchema(key, field)] as const)

/** A branch or a match: one arm per label, chosen by `select`. */
export const makeBranch = (
  kind: string,
  name: string,
  requires: Schema.Struct.Fields,
  select: (input: never) => string,
  arms: Readonly<Record<string, Template.Template.Any | undefined>>
): Flow.Any => {
  checkName(kind, name)
  const labels = Object.keys(arms)
  for (const label of labels) {
    check(validLabel.test(label), `Flow.${kind} "${name}": arm label "${label}" must use only letters, digits, "_", "-", "." and ":"`)
  }
  const children = labels.flatMap((label) => arms[label] === undefined ? [] : [arms[label]!])
  const provides = providedFields(children)
  return make({
    name,
    spec: { kind: "branch", requires, select, labels, arms },
    children,
    requirements: [...fieldRequirements(requires), ...children.flatMap((arm) => arm.requirements)],
    // at run time a provided key's Schema is that of its value; that it may
    // be absent (an arm that does not write it) is the types' business
    provides,
    reads: requires,
    writes: provides
  })
}

/** A loop: `body` while `while` holds, at most `maxIterations` times. */
export const makeLoop = (options: {
  readonly name: string
  readonly requires: Schema.Struct.Fields
  readonly while: (input: never) => boolean
  readonly body: Template.Template.Any
  readonly maxIterations: number
  readonly check?: "before" | "after" | undefined
}): Flow.Any => {
  const { body, maxIterations, name, requires } = options
  const checkWhen = options.check ?? "before"
  checkName("loop", name)
  check(
    Number.isInteger(maxIterations) && maxIterations >= 1,
    `Flow.loop "${name}": maxIterations must be a positive integer, got ${maxIterations}`
  )
  const provides = providedFields([body])
  const own = checkWhen === "after"
    ? fieldRequirements(requires).filter(([key]) => !Object.hasOwn(body.provides, key))
    : fieldRequirements(requires)
  return make({
    name,
    spec: { kind: "loop", requires, while: options.while as (input: never) => boolean, body, maxIterations, check: checkWhen },
    children: [body],
    requirements: [...own, ...body.requirements],
    provides,
    reads: requires,
    writes: {}
  })
}

/** A forEach: `body` for each element of `over`, gathering `collect` into `into`. */
export const makeForEach = (options: {
  readonly name: string
  readonly over: string
  readonly as: string
  readonly body: Template.Template.Any
  readonly collect: string
  readonly into: string
  readonly concurrency?: Concurrency | undefined
}): Flow.Any => {
  const { as, body, collect, into, name, over } = options
  const concurrency = options.concurrency ?? 1
  checkName("forEach", name)
  checkConcurrency("forEach", name, concurrency)
  check(over !== as, `Flow.forEach "${name}": "over" and "as" must be different keys, both are "${as}"`)
  const element = body.requirements.find(([key]) => key === as)
  const list = { [over]: Schema.Array(element === undefined ? Schema.Unknown : valueSchema(fieldOf(element[1], as))) }
  const result = Object.hasOwn(body.provides, collect) ? body.provides[collect] : undefined
  check(result !== undefined, `Flow.forEach "${name}": its body does not provide "${collect}"`)
  const results = { [into]: Schema.Array(valueSchema(fieldOf(result!, collect))) }
  return make({
    name,
    spec: { kind: "forEach", over, as, body, collect, into, concurrency },
    children: [body],
    requirements: [...fieldRequirements(list), ...body.requirements.filter(([key]) => key !== as)],
    provides: results,
    reads: list,
    writes: results
  })
}

/** A parallel: its branches at once, all of them or the first to succeed. */
export const makeParallel = (options: {
  readonly name: string
  /** The templates by label (typed by `Flow.parallel`). */
  readonly branches: object
  readonly concurrency?: Concurrency | undefined
  readonly mode?: "all" | "first" | undefined
  /** The merge function of each key several branches write (typed by `Flow.parallel`). */
  readonly merge?: object | undefined
}): Flow.Any => {
  const { name } = options
  const branches = options.branches as Readonly<Record<string, Template.Template.Any>>
  const concurrency = options.concurrency ?? "unbounded"
  const mode = options.mode ?? "all"
  checkName("parallel", name)
  checkConcurrency("parallel", name, concurrency)
  const labels = Object.keys(branches)
  check(labels.length > 0, `Flow.parallel "${name}" has no branches`)
  for (const label of labels) {
    check(validLabel.test(label), `Flow.parallel "${name}": branch label "${label}" must use only letters, digits, "_", "-", "." and ":"`)
  }
  const children = labels.map((label) => branches[label]!)
  const provides = providedFields(children)
  return make({
    name,
    spec: {
      kind: "parallel",
      labels,
      branches,
      concurrency,
      mode,
      merge: (options.merge ?? {}) as Readonly<Record<string, (values: ReadonlyArray<never>) => unknown>>
    },
    children,
    requirements: children.flatMap((branch) => branch.requirements),
    provides,
    reads: {},
    writes: provides
  })
}
