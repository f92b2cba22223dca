/**
 * Schema work done once per step or template and cached: a step's output
 * guard (a fast boolean check; issues are built only when it fails), its
 * encoding for persistence (skipped when the Schemas transform nothing),
 * each state key's codec for resuming, and a run's input decoder.
 *
 * @internal
 */
import { Either, Schema, SchemaAST } from "effect"
import type { Issue } from "../../Errors.js"
import type * as Step from "../../Step.js"
import type * as Template from "../../Template.js"
import { nodesOf, walk } from "../template/walk.js"
import { toIssues } from "./issues.js"
import { checkJson, depthExceeds, maxDepth } from "./values.js"

type Decoded = Readonly<Record<string, unknown>>

/** Turns a parse error into issues (key paths and messages in words: see `issues.ts`). */
export { toIssues }

const allErrors = { errors: "all", onExcessProperty: "ignore" } as const
/** As `Schema.is` reads a value: a required property must be present, even when its type accepts `undefined`. */
const exactErrors = { ...allErrors, exact: true } as const

const propertySignatures = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.PropertySignature> => {
  const type = SchemaAST.typeAST(ast)
  return SchemaAST.isTypeLiteral(type) ? type.propertySignatures : []
}

// ---------------------------------------------------------------------------
// identity encodings
// ---------------------------------------------------------------------------

const identityCache = new WeakMap<SchemaAST.AST, boolean>()

/** Whether encoding with this AST returns its input unchanged (no transformation anywhere). */
export const encodesAsIs = (ast: SchemaAST.AST): boolean => {
  const cached = identityCache.get(ast)
  if (cached !== undefined) return cached
  identityCache.set(ast, false) // recursion guard: a cycle is not proven to be an identity
  let result: boolean
  switch (ast._tag) {
    case "Transformation":
    case "Declaration":
    case "Suspend":
      result = false
      break
    case "Refinement":
      result = encodesAsIs(ast.from)
      break
    case "TypeLiteral":
      result = ast.propertySignatures.every((ps) => encodesAsIs(ps.type)) &&
        ast.indexSignatures.every((is) => encodesAsIs(is.type))
      break
    case "TupleType":
      result = ast.elements.every((e) => encodesAsIs(e.type)) && ast.rest.every((r) => encodesAsIs(r.type))
      break
    case "Union":
      result = ast.types.every(encodesAsIs)
      break
    default:
      result = true
  }
  identityCache.set(ast, result)
  return result
}

// ---------------------------------------------------------------------------
// compiled guards
// ---------------------------------------------------------------------------

type Guard = (u: unknown) => boolean

const hasOwn = Object.prototype.hasOwnProperty

/**
 * A plain predicate for a type AST built only of keywords, literals, arrays,
 * unions and structs (no refinement, declaration or index signature), or
 * `undefined` for any other: it accepts exactly what `Schema.is` accepts
 * (properties present unless optional, extra properties ignored), without
 * building parse results. Used where `undefined` falls back to `Schema.is`.
 */
export const compileGuard = (ast: SchemaAST.AST): Guard | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "NumberKeyword":
      return (u) => typeof u === "number"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "UndefinedKeyword":
    case "VoidKeyword":
      return (u) => u === undefined
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => true
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "Union": {
      const members = ast.types.map(compileGuard)
      if (members.some((m) => m === undefined)) return undefined
      const guards = members as ReadonlyArray<Guard>
      return (u) => {
        for (const guard of guards) if (guard(u)) return true
        return false
      }
    }
    case "TupleType": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return undefined
      const item = compileGuard(ast.rest[0]!.type)
      if (item === undefined) return undefined
      return (u) => {
        if (!Array.isArray(u)) return false
        for (let i = 0; i < u.length; i++) if (!item(u[i])) return false
        return true
      }
    }
    case "TypeLiteral": {
      if (ast.indexSignatures.length > 0) return undefined
      const props: Array<{ readonly name: string; readonly optional: boolean; readonly guard: Guard }> = []
      for (const ps of ast.propertySignatures) {
        if (typeof ps.name !== "string") return undefined
        const guard = compileGuard(ps.type)
        if (guard === undefined) return undefined
        props.push({ name: ps.name, optional: ps.isOptional, guard })
      }
      return (u) => {
        if (typeof u !== "object" || u === null || Array.isArray(u)) return false
        for (const prop of props) {
          if (hasOwn.call(u, prop.name)) {
            if (!prop.guard((u as Record<string, unknown>)[prop.name])) return false
          } else if (!prop.optional) {
            return false
          }
        }
        return true
      }
    }
    default:
      return undefined
  }
}

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

/** What the interpreter needs of a step, computed once. */
export interface CompiledStep {
  /** Keys the step reads. */
  readonly inputKeys: ReadonlyArray<string>
  /** Keys the step reads that must be present (not optional). */
  readonly mandatoryKeys: ReadonlySet<string>
  /** Checks an output against `provides` and keeps only the declared keys. */
  readonly checkOutput: (output: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>>
  /** Encodes a checked output for persistence (the same object when nothing transforms). */
  readonly encodeOutput: (output: Decoded) => Either.Either<Decoded, ReadonlyArray<Issue>>
}

const stepCache = new WeakMap<Step.Step.Any, CompiledStep>()

/** The compiled form of a step. */
export const compileStep = (step: Step.Step.Any): CompiledStep => {
  const cached = stepCache.get(step)
  if (cached !== undefined) return cached
  const input = Schema.Struct(step.requires)
  const output = Schema.Struct(step.provides) as unknown as Schema.Schema<Decoded, Decoded>
  const outputType = Schema.typeSchema(output)
  const is = compileGuard(outputType.ast) ?? Schema.is(outputType)
  const validate = Schema.validateEither(output)
  const encode = Schema.encodeEither(output)
  const keys = Object.keys(step.provides)
  const asIs = encodesAsIs(output.ast)
  const pick = (value: Decoded): Decoded => {
    const picked: Record<string, unknown> = {}
    for (const key of keys) if (key in value) picked[key] = value[key]
    return picked
  }
  const compiled: CompiledStep = {
    inputKeys: Object.keys(step.requires),
    mandatoryKeys: new Set(propertySignatures(input.ast).filter((ps) => !ps.isOptional).map((ps) => String(ps.name))),
    checkOutput: (value) => {
      try {
        if (typeof value === "object" && value !== null && is(value)) return Either.right(pick(value as Decoded))
        return Either.mapLeft(validate(value, exactErrors), toIssues)
      } catch (error) {
        return Either.left([{ path: [], message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }])
      }
    },
    encodeOutput: asIs ? Either.right : (value) => Either.mapLeft(encode(value, allErrors), toIssues)
  }
  stepCache.set(step, compiled)
  return compiled
}

/** Every step in a template tree, fallbacks included, in order. */
export const stepsOf = (template: Template.Template.Any): ReadonlyArray<Step.Step.Any> =>
  nodesOf(template, { intoSubflows: true }).flatMap((node) => node._tag === "Step" ? fallbackChain(node) : [])

/** A step and its fallbacks, in order. */
const fallbackChain = (node: Step.Step.Any): ReadonlyArray<Step.Step.Any> => {
  const chain: Array<Step.Step.Any> = []
  for (let step: Step.Step.Any | undefined = node; step !== undefined; step = step.fallback) chain.push(step)
  return chain
}

// ---------------------------------------------------------------------------
// state keys
// ---------------------------------------------------------------------------

/** The fields of one-key Struct Schemas (`Template.provides` form). */
const durableFields = (provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>): Schema.Struct.Fields =>
  Object.fromEntries(
    Object.entries(provides).map((
      [key, schema]
    ) => [key, (schema as unknown as Schema.Struct<Schema.Struct.Fields>).fields[key]!])
  )

/** What a node reads and writes, by Schema fields. */
interface FieldSource {
  readonly requires: Schema.Struct.Fields
  readonly provides: Schema.Struct.Fields
}

/**
 * Every step of a template tree (as {@link stepsOf}) and, after the steps of
 * each control-flow node, the keys that node reads and writes itself (a
 * predicate's keys, a forEach's list and results): what the codecs are built from.
 */
const fieldSourcesOf = (template: Template.Template.Any): ReadonlyArray<FieldSource> => {
  const found: Array<FieldSource> = []
  walk(template, { intoSubflows: false }, {
    enter: (node) => {
      if (node._tag === "Step") found.push(...fallbackChain(node))
      // a durable node writes the keys of its one-key Struct Schemas
      else if (node._tag === "Sleep" || node._tag === "WaitForSignal" || node._tag === "Subflow") {
        found.push({ requires: {}, provides: durableFields(node.provides) })
      }
    },
    // a control-flow node's own keys come after its children's steps
    leave: (node) => {
      if (node._tag === "Flow") found.push({ requires: node.fields.reads, provides: node.fields.writes })
    }
  })
  return found
}

/** Encodes and decodes one state key's values. */
export interface KeyCodec {
  readonly encode: (value: unknown) => Either.Either<unknown, ReadonlyArray<Issue>>
  readonly decode: (encoded: unknown) => Either.Either<unknown, ReadonlyArray<Issue>>
}

const codecCache = new WeakMap<Template.Template.Any, ReadonlyMap<string, KeyCodec>>()

/**
 * A codec for every key that may appear in a run's state (locals included):
 * the Schema of the key's last writer, else of its first reader.
 */
export const keyCodecs = (template: Template.Template.Any): ReadonlyMap<string, KeyCodec> => {
  const cached = codecCache.get(template)
  if (cached !== undefined) return cached
  const fields = new Map<string, Schema.Struct.Fields[string]>()
  const readers = new Map<string, Schema.Struct.Fields[string]>()
  for (const step of fieldSourcesOf(template)) {
    for (const [key, field] of Object.entries(step.provides)) fields.set(key, field)
    for (const [key, field] of Object.entries(step.requires)) if (!readers.has(key)) readers.set(key, field)
  }
  for (const [key, field] of readers) if (!fields.has(key)) fields.set(key, field)
  const codecs = new Map<string, KeyCodec>()
  for (const [key, field] of fields) {
    const schema = Schema.Struct({ [key]: field }) as unknown as Schema.Schema<Decoded, Decoded>
    const encode = Schema.encodeEither(schema)
    const decode = Schema.decodeUnknownEither(schema)
    const asIs = encodesAsIs(schema.ast)
    codecs.set(key, {
      encode: asIs ? Either.right : (value) =>
        Either.match(encode({ [key]: value }, allErrors), {
          onLeft: (error) => Either.left(toIssues(error)),
          onRight: (encoded) => Either.right(encoded[key])
        }),
      decode: (encoded) =>
        Either.match(decode({ [key]: encoded }, allErrors), {
          onLeft: (error) => Either.left(toIssues(error)),
          onRight: (decoded) => Either.right(decoded[key])
        })
    })
  }
  codecCache.set(template, codecs)
  return codecs
}

// ---------------------------------------------------------------------------
// input
// ---------------------------------------------------------------------------

const inputCache = new WeakMap<Template.Template.Any, (input: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>>>()

/**
 * Checks a run's input against every outside requirement of a template and
 * collects every issue (a key read by several steps must satisfy them all).
 * Returns only the required keys. Never throws: a hostile input (too deep,
 * a getter that throws, a Proxy) is an issue.
 */
export const inputValidator = (
  template: Template.Template.Any
): (input: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>> => {
  const cached = inputCache.get(template)
  if (cached !== undefined) return cached
  const checks = template.requirements.map(([key, schema]) => ({
    key,
    validate: Schema.validateEither(schema as Schema.Schema<Decoded, Decoded>)
  }))
  // a key some requirement does not make optional must hold a value: `undefined` is no state value (it would
  // pass a Schema such as `Schema.Unknown`, be left out of the state, and fail the run at its first read)
  const mandatory = new Set(
    template.requirements.flatMap(([, schema]) =>
      propertySignatures(schema.ast).filter((ps) => !ps.isOptional).map((ps) => String(ps.name))
    )
  )
  const validator = (input: unknown): Either.Either<Decoded, ReadonlyArray<Issue>> => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      const got = input === null ? "null" : Array.isArray(input) ? "an array" : typeof input
      return Either.left([{ path: [], message: `Expected an object of state values, got ${got}` }])
    }
    if (depthExceeds(input, maxDepth)) {
      return Either.left([{ path: [], message: `is nested deeper than ${maxDepth} levels` }])
    }
    try {
      const issues: Array<Issue> = []
      const seen = new Set<string>()
      const out: Record<string, unknown> = {}
      for (const { key, validate } of checks) {
        const result = validate(input, allErrors)
        if (Either.isLeft(result)) {
          for (const issue of toIssues(result.left)) {
            const id = `${issue.path.map(String).join(".")}:${issue.message}`
            if (!seen.has(id)) {
              seen.add(id)
              issues.push(issue)
            }
          }
        } else if (Object.hasOwn(result.right, key)) {
          out[key] = result.right[key]
        }
      }
      for (const key of mandatory) {
        if ((input as Record<string, unknown>)[key] === undefined && !seen.has(`${key}:is missing`)) {
          issues.push({ path: [key], message: "is missing (undefined is not a value)" })
        }
      }
      return issues.length > 0 ? Either.left(issues) : Either.right(out)
    } catch (error) {
      return Either.left([{ path: [], message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }])
    }
  }
  inputCache.set(template, validator)
  return validator
}

/**
 * Decodes an outside payload (a signal's) with a Schema and encodes it back
 * for the store, refusing what would not read back (see `values.ts`).
 * Never throws.
 */
export const decodePayload = (
  schema: Schema.Schema.AnyNoContext,
  payload: unknown
): Either.Either<{ readonly value: unknown; readonly encoded: unknown }, ReadonlyArray<Issue>> => {
  if (depthExceeds(payload, maxDepth)) return Either.left([{ path: [], message: `is nested deeper than ${maxDepth} levels` }])
  try {
    const decoded = Schema.decodeUnknownEither(schema)(payload, { errors: "all" })
    if (Either.isLeft(decoded)) return Either.left(toIssues(decoded.left))
    const encoded = Schema.encodeEither(schema)(decoded.right, { errors: "all" })
    if (Either.isLeft(encoded)) return Either.left(toIssues(encoded.left))
    const checked = checkJson(encoded.right)
    if (!checked.ok) return Either.left([checked.issue])
    return Either.right({ value: decoded.right, encoded: encoded.right })
  } catch (error) {
    return Either.left([{ path: [], message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }])
  }
}
