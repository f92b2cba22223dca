/**
 * Decoding what comes from outside (a run's input, a listing's query and
 * cursor) and encoding what goes out (typed state, Schemas as JSON Schema).
 *
 * @internal
 */
import { Either, JSONSchema, Schema } from "effect"
import type * as Errors from "../../Errors.js"
import type * as SnapshotStore from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { toIssues } from "../../internal/run/issues.js"
import type { RunQuery } from "../Api.js"

/** One problem with a value: its key path and what was wrong, in words (as the engine words them). */
export type Issue = Errors.Issue

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const decodeOptions = { errors: "all", onExcessProperty: "ignore" } as const

/**
 * Decodes a run's input, given as JSON, with the Schemas of what its
 * template requires: the typed input, or every issue (each naming its key).
 * Keys the template does not require are left out.
 */
export const decodeInput = (
  template: Template.Template.Any,
  input: unknown
): Either.Either<Readonly<Record<string, unknown>>, ReadonlyArray<Issue>> => {
  if (!isRecord(input)) {
    return Either.left([{ path: [], message: "expected an object holding the template's input keys" }])
  }
  const decoded: Record<string, unknown> = {}
  const issues: Array<Issue> = []
  const seen = new Set<string>()
  for (const [key, schema] of template.requirements) {
    const result = Schema.decodeUnknownEither(schema)(input, decodeOptions)
    if (Either.isLeft(result)) {
      for (const issue of toIssues(result.left)) {
        const id = `${issue.path.map(String).join("\u0000")}\u0001${issue.message}`
        if (!seen.has(id)) {
          seen.add(id)
          issues.push(issue)
        }
      }
    } else if (isRecord(result.right) && key in result.right && !(key in decoded)) {
      decoded[key] = result.right[key]
    }
  }
  return issues.length > 0 ? Either.left(issues) : Either.right(decoded)
}

/** A JSON-safe copy of a value (anything JSON cannot hold becomes a string). */
const jsonSafe = (value: unknown): unknown => {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? null : JSON.parse(text)
  } catch {
    return String(value)
  }
}

/** A JSON-safe copy of every value of a record. */
export const jsonSafeRecord = (record: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, jsonSafe(value)]))

/**
 * Decodes a fork's patch, given as JSON, with the Schema of each key (a key
 * the template does not know is an issue naming it): the typed patch, or
 * every issue.
 */
export const decodePatch = (
  template: Template.Template.Any,
  patch: Readonly<Record<string, unknown>>
): Either.Either<Readonly<Record<string, unknown>>, ReadonlyArray<Issue>> => {
  const decoded: Record<string, unknown> = {}
  const issues: Array<Issue> = []
  for (const [key, value] of Object.entries(patch)) {
    // own keys only: "valueOf" or "constructor" is a key like any other
    const schema = (Object.hasOwn(template.provides, key) ? template.provides[key] : undefined) ??
      template.requirements.find(([name]) => name === key)?.[1]
    if (schema === undefined) {
      issues.push({ path: [key], message: `"${key}" is not a key of ${template.name}@${template.version}` })
      continue
    }
    const result = Schema.decodeUnknownEither(schema)({ [key]: value }, decodeOptions)
    if (Either.isLeft(result)) issues.push(...toIssues(result.left))
    else if (isRecord(result.right)) decoded[key] = result.right[key]
  }
  return issues.length === 0 ? Either.right(decoded) : Either.left(issues)
}

/** Encodes one typed state value with the Schema of its key (a one-key Struct). */
const encodeKey = (schema: Schema.Schema.AnyNoContext | undefined, key: string, value: unknown): unknown => {
  if (schema === undefined) return jsonSafe(value)
  const encoded = Schema.encodeUnknownEither(schema)({ [key]: value })
  return Either.isRight(encoded) && isRecord(encoded.right) ? jsonSafe(encoded.right[key]) : jsonSafe(value)
}

/** Encodes a typed state (a run's result) with its template's Schemas, as JSON. */
export const encodeState = (
  template: Template.Template.Any,
  state: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  const required = new Map<string, Schema.Schema.AnyNoContext>()
  for (const [key, schema] of template.requirements) if (!required.has(key)) required.set(key, schema)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(state)) {
    out[key] = encodeKey(template.provides[key] ?? required.get(key), key, value)
  }
  return out
}

type JsonObject = Record<string, unknown>

/** The JSON Schema of a Schema, or a permissive one (with a note) when it has none. */
export const jsonSchemaOf = (schema: Schema.Schema.AnyNoContext): JsonObject => {
  try {
    return JSONSchema.make(schema) as unknown as JsonObject
  } catch (error) {
    return { description: `no JSON Schema: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` }
  }
}

/** A JSON value's text with its object keys sorted: equal for equal values, whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    isRecord(inner)
      ? Object.fromEntries(Object.keys(inner).sort().map((key) => [key, inner[key]]))
      : inner)

const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)

/**
 * The JSON Schema of an object built from one-key Struct Schemas (a
 * template's requirements or what it provides): a key given several Schemas
 * must satisfy all of them (`allOf`; equal ones count once). Keys not listed are allowed (and ignored).
 */
export const objectJsonSchema = (
  parts: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
): JsonObject => {
  const properties = new Map<string, Array<unknown>>()
  const required = new Set<string>()
  const defs: JsonObject = {}
  for (const [key, schema] of parts) {
    const document = jsonSchemaOf(schema)
    if (isRecord(document.$defs)) Object.assign(defs, document.$defs)
    const property = isRecord(document.properties) ? document.properties[key] : undefined
    const list = properties.get(key) ?? []
    const document_ = property ?? {}
    // equal requirements are one: a key read by two steps with one Schema is that Schema, not an allOf of two
    if (!list.some((known) => sameJson(known, document_))) list.push(document_)
    properties.set(key, list)
    if (Array.isArray(document.required) && document.required.includes(key)) required.add(key)
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    required: Array.from(required),
    properties: Object.fromEntries(
      Array.from(properties, ([key, list]) => [key, list.length === 1 ? list[0] : { allOf: list }])
    ),
    ...(Object.keys(defs).length > 0 ? { $defs: defs } : {})
  }
}

// ---------------------------------------------------------------------------
// listing
// ---------------------------------------------------------------------------

/** A position in a listing: the last run of the previous page. */
export interface Cursor {
  readonly createdAt: number
  readonly runId: string
}

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.Number.pipe(Schema.finite()), Schema.String))

/** The opaque text of a cursor (base64url JSON). */
export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.createdAt, cursor.runId]), "utf8").toString("base64url")

/** Reads a cursor back; `undefined` for one this server never gave. */
export const decodeCursor = (text: string): Cursor | undefined => {
  const decoded = Schema.decodeUnknownEither(CursorJson)(Buffer.from(text, "base64url").toString("utf8"))
  return Either.isRight(decoded) ? { createdAt: decoded.right[0], runId: decoded.right[1] } : undefined
}

/** The default page size of a listing. */
export const defaultLimit = 50

/** Whether `run` comes after `cursor` in a listing (newest first, then by id, descending). */
export const isAfter = (run: { readonly createdAt: number; readonly runId: string }, cursor: Cursor): boolean =>
  run.createdAt < cursor.createdAt || (run.createdAt === cursor.createdAt && run.runId < cursor.runId)

/**
 * The store filter of a query: one more run than the page holds (to know
 * whether there is a next page), after the cursor.
 */
export const toFilter = (query: RunQuery, cursor: Cursor | undefined): SnapshotStore.RunFilter => ({
  status: query.status,
  templateName: query.template,
  createdAfter: query.since,
  createdBefore: query.until,
  after: cursor,
  limit: (query.limit ?? defaultLimit) + 1,
  where: query.where,
  runIdPrefix: query.prefix,
  forkedFrom: query.forkedFrom
})

/** One page of a listing from the runs the store returned for {@link toFilter}. */
export const toPage = <A extends { readonly createdAt: number; readonly runId: string }>(
  runs: ReadonlyArray<A>,
  query: RunQuery,
  cursor: Cursor | undefined
): { readonly runs: ReadonlyArray<A>; readonly nextCursor: string | null } => {
  const limit = query.limit ?? defaultLimit
  const after = cursor === undefined ? runs : runs.filter((run) => isAfter(run, cursor))
  const page = after.slice(0, limit)
  const last = page[page.length - 1]
  return {
    runs: page,
    nextCursor: after.length > limit && last !== undefined ? encodeCursor({ createdAt: last.createdAt, runId: last.runId }) : null
  }
}
