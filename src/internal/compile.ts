/**
 * Schema work done once per step or template and cached: output validation,
 * encoding for persistence, decoding on resume, input validation.
 *
 * @internal
 */
import { Either, ParseResult, Schema, SchemaAST } from "effect"
import type { Issue } from "../Errors.js"
import type * as Step from "../Step.js"
import type * as Template from "../Template.js"

type Decoded = Readonly<Record<string, unknown>>

export interface CompiledStep {
  /** Keys the step reads. */
  readonly inputKeys: ReadonlyArray<string>
  /** Keys the step reads that must be present (not optional). */
  readonly mandatoryKeys: ReadonlySet<string>
  /** Checks an output against `provides`; keeps only the declared keys. */
  readonly validateOutput: (output: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>>
  /** Encodes a validated output for persistence. */
  readonly encodeOutput: (output: Decoded) => Either.Either<Decoded, ReadonlyArray<Issue>>
}

export const toIssues = (error: ParseResult.ParseError): ReadonlyArray<Issue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({ path: issue.path, message: issue.message }))

const allErrors = { errors: "all", onExcessProperty: "ignore" } as const

const propertySignatures = (schema: Schema.Schema.AnyNoContext): ReadonlyArray<SchemaAST.PropertySignature> => {
  const ast = SchemaAST.typeAST(schema.ast)
  return SchemaAST.isTypeLiteral(ast) ? ast.propertySignatures : []
}

const stepCache = new WeakMap<Step.Step.Any, CompiledStep>()

export const compileStep = (step: Step.Step.Any): CompiledStep => {
  const cached = stepCache.get(step)
  if (cached !== undefined) return cached
  const input = Schema.Struct(step.requires) as unknown as Schema.Schema.AnyNoContext
  const output = Schema.Struct(step.provides) as unknown as Schema.Schema<Decoded, Decoded>
  const validate = Schema.validateEither(output)
  const encode = Schema.encodeEither(output)
  const compiled: CompiledStep = {
    inputKeys: Object.keys(step.requires),
    mandatoryKeys: new Set(
      propertySignatures(input).filter((ps) => !ps.isOptional).map((ps) => String(ps.name))
    ),
    validateOutput: (value) => Either.mapLeft(validate(value, allErrors), toIssues),
    encodeOutput: (value) => Either.mapLeft(encode(value, allErrors), toIssues)
  }
  stepCache.set(step, compiled)
  return compiled
}

/** Every step in a template tree, fallbacks included, in order. */
export const stepsOf = (template: Template.Template.Any): ReadonlyArray<Step.Step.Any> =>
  template.steps.flatMap((node): ReadonlyArray<Step.Step.Any> => {
    if (node._tag === "Template") return stepsOf(node)
    if (node._tag === "Flow") return node.children.flatMap(stepsOf)
    if (node._tag !== "Step") return []
    const chain: Array<Step.Step.Any> = []
    for (let step: Step.Step.Any | undefined = node; step !== undefined; step = step.fallback) chain.push(step)
    return chain
  })

/** The fields of one-key Struct Schemas (`Template.provides` form). */
const durableFields = (provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>): Schema.Struct.Fields =>
  Object.fromEntries(
    Object.entries(provides).map(([key, schema]) => [key, (schema as unknown as Schema.Struct<Schema.Struct.Fields>).fields[key]!])
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
const fieldSourcesOf = (template: Template.Template.Any): ReadonlyArray<FieldSource> =>
  template.steps.flatMap((node): ReadonlyArray<FieldSource> => {
    if (node._tag === "Template") return fieldSourcesOf(node)
    if (node._tag === "Flow") {
      return [...node.children.flatMap(fieldSourcesOf), { requires: node.fields.reads, provides: node.fields.writes }]
    }
    // a durable node writes the keys of its one-key Struct Schemas
    if (node._tag !== "Step") return [{ requires: {}, provides: durableFields(node.provides) }]
    const chain: Array<FieldSource> = []
    for (let step: Step.Step.Any | undefined = node; step !== undefined; step = step.fallback) chain.push(step)
    return chain
  })

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
    codecs.set(key, {
      encode: (value) =>
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

const inputCache = new WeakMap<
  Template.Template.Any,
  (input: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>>
>()

/**
 * Checks a run's input against every outside requirement of a template and
 * collects every issue (a key read by several steps must satisfy them all).
 * Returns only the required keys.
 */
export const inputValidator = (
  template: Template.Template.Any
): (input: unknown) => Either.Either<Decoded, ReadonlyArray<Issue>> => {
  const cached = inputCache.get(template)
  if (cached !== undefined) return cached
  const checks = template.requirements.map(([key, schema]) => {
    const validate = Schema.validateEither(schema as Schema.Schema<Decoded, Decoded>)
    return { key, validate }
  })
  const validator = (input: unknown): Either.Either<Decoded, ReadonlyArray<Issue>> => {
    if (typeof input !== "object" || input === null) {
      return Either.left([{ path: [], message: `Expected an object of state values, got ${input === null ? "null" : typeof input}` }])
    }
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
      } else if (key in result.right) {
        out[key] = result.right[key]
      }
    }
    return issues.length > 0 ? Either.left(issues) : Either.right(out)
  }
  inputCache.set(template, validator)
  return validator
}
