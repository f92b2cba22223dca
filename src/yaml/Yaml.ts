/**
 * YAML flows: workflows written in YAML over registered steps and
 * templates, loaded into ordinary `Template`s (they run on every engine, are
 * durable and resumable, and compose with code templates), and checked at
 * load time as strictly as the compiler checks code — every problem with
 * its file, line and column, all at once, nothing thrown.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step } from "weftjs"
 * import { Yaml } from "weftjs/yaml"
 *
 * const greet = Step.make({
 *   name: "greet",
 *   requires: { who: Schema.String },
 *   provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })
 * const flow = Yaml.load(
 *   ["name: hello", "version: 1", "inputs:", "  name: string", "steps:", "  - use: greet", "    with: { who: \"${inputs.name}\" }"].join("\n"),
 *   { file: "hello.yaml", registry: { steps: { greet } } }
 * ) // Effect<Yaml.Flow, Yaml.LoadErrors>
 * ```
 *
 * @since 0.2.0
 */
import { readFile } from "node:fs/promises"
import { Data, Effect } from "effect"
import { composeWorkflow, type Step, type Steps, type Template, type Trigger } from "../index.js"
import { isAssignable } from "./internal/assignable.js"
import { yamlCodec } from "./internal/codec.js"
import { compile } from "./internal/compile.js"
import { apply, emptyEnv, type Env, problemMessage, type Requirement } from "./internal/env.js"
import * as JsonSchemaInternal from "./internal/jsonSchema.js"
import { defaultLimits, Diagnostics, parse, positionsOfText } from "./internal/source.js"
import { triggersOf as triggersOfFlow } from "./internal/compile/triggers.js"

/**
 * What YAML flows may use: registered steps and templates by the name
 * `use:` gives (`steps`), and templates by their own name (`templates`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Registry {
  readonly steps: Readonly<Record<string, Step.Step.Any | Template.Template.Any>>
  readonly templates?: ReadonlyArray<Template.Template.Any> | undefined
  /** What the built-in steps may do (the project file's `yaml:`); without it, no program runs and no file is touched. */
  readonly builtins?: Builtins | undefined
}

/**
 * What the built-in steps of a flow may do, as the project file sets it
 * (`defineConfig({ yaml: { commands, files } })`).
 *
 * @since 0.4.0
 * @category models
 */
export interface Builtins {
  /** The programs `command:` steps may run, exactly as their `program:` names them; any other is a load-time error. */
  readonly commands?: ReadonlyArray<string> | undefined
  /** The folder `read:` and `write:` paths are relative to; nothing outside it is read or written. */
  readonly files?: string | undefined
  /**
   * The names of this process's environment variables `command:` steps may
   * pass on (`inherit:`, `secrets:`); any other is a load-time error. `PATH`
   * is always passed on.
   */
  readonly env?: ReadonlyArray<string> | undefined
  /** The folder a command's relative `cwd:` starts from (default: the working directory). */
  readonly dir?: string | undefined
}

/**
 * A loaded flow: an ordinary template whose input and state the compiler
 * sees as records (their types are checked when the flow is loaded, and its
 * input when a run starts). Its services are those of the steps it uses:
 * provide their layers as for any template.
 *
 * @since 0.2.0
 * @category models
 */
export type Flow = Template.Template<Record<string, unknown>, Record<string, unknown>, unknown, never>

/**
 * One problem of a flow file, at its position (1-based line and column, in
 * UTF-16 code units as editors count).
 *
 * @since 0.2.0
 * @category models
 */
export interface LoadError {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly message: string
}

/**
 * Every problem of a flow file, in source order. Its message lists them,
 * one `file:line:column: message` per line.
 *
 * @since 0.2.0
 * @category errors
 */
export class LoadErrors extends Data.TaggedError("LoadErrors")<{
  readonly errors: ReadonlyArray<LoadError>
}> {
  override get message(): string {
    return format(this.errors)
  }
}

/**
 * Templates composed at run time with {@link compose} whose wiring does not
 * check: each problem names the part, the key and both types.
 *
 * @since 0.2.0
 * @category errors
 */
export class CompositionError extends Data.TaggedError("CompositionError")<{
  readonly problems: ReadonlyArray<{ readonly part: string; readonly message: string }>
}> {
  override get message(): string {
    return this.problems.map((p) => `${p.part}: ${p.message}`).join("\n")
  }
}

/**
 * Limits that keep hostile input cheap to refuse.
 *
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  /** The most characters a file may have (default 1,000,000). */
  readonly maxLength: number
  /** The most nodes a document may expand to through its aliases (default 100,000). */
  readonly maxNodes: number
  /** The deepest nesting of collections (default 64). */
  readonly maxDepth: number
}

/**
 * Options of {@link load}.
 *
 * @since 0.2.0
 * @category models
 */
export interface LoadOptions {
  /** The file name errors carry. */
  readonly file: string
  readonly registry: Registry
  /**
   * Values of the flow's `vars` (as `--var k=v` gives them): a var declared
   * as a number or a boolean is read as one. Vars the flow does not declare
   * are texts.
   */
  readonly vars?: Readonly<Record<string, string>> | undefined
  /** Limits on hostile input (default: 1,000,000 characters, 100,000 nodes through aliases, 64 levels). */
  readonly limits?: Partial<Limits> | undefined
}

/**
 * `file:line:column: message`, one problem per line.
 *
 * @since 0.2.0
 * @category formatting
 */
export const format = (errors: ReadonlyArray<LoadError>): string =>
  errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("\n")

const maxErrors = 100

const loadSync = (text: string, options: LoadOptions): Flow | LoadErrors => {
  const diagnostics = new Diagnostics()
  const limits: Limits = { ...defaultLimits, ...options.limits }
  let positions = positionsOfText("")
  let template: Template.Template.Any | undefined
  try {
    const parsed = parse(text, diagnostics, limits)
    positions = parsed.positions
    if (parsed.root !== undefined) {
      template = compile({
        root: parsed.root,
        text,
        registry: options.registry,
        vars: options.vars ?? {},
        diagnostics,
        positions
      })
    }
  } catch (error) {
    // a bug of ours must not escape as an exception: it is one more error
    diagnostics.add(0, 0, `internal error while loading: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (template !== undefined && diagnostics.count === 0) return template as unknown as Flow
  const all = diagnostics.all()
  const errors: Array<LoadError> = all.slice(0, maxErrors).map((d) => {
    const { column, line } = positions.at(d.start)
    return { file: options.file, line, column, message: d.message }
  })
  if (all.length > maxErrors) {
    const last = errors[errors.length - 1]!
    errors.push({ ...last, message: `... and ${all.length - maxErrors} more errors` })
  }
  if (errors.length === 0) errors.push({ file: options.file, line: 1, column: 1, message: "the flow could not be loaded" })
  return new LoadErrors({ errors })
}

/**
 * The triggers a loaded flow declares in its `triggers:` (schedules,
 * webhooks, runs of another template ending), checked when it was loaded;
 * declare them with `engine.trigger`. None for any other template.
 *
 * @since 0.3.0
 * @category accessors
 */
export const triggersOf = (flow: Template.Template.Any): ReadonlyArray<Trigger.Trigger<unknown>> => triggersOfFlow(flow)

/**
 * Loads a YAML flow into a `Template`: its name is the flow's `name`, its
 * version the flow's `version` plus a hash of its content (and of the vars
 * and the versions of the templates it uses), e.g. `1.0+sha256:3f2a9c01b2e4`,
 * so that a run started under one content is a `TemplateMismatch` under
 * another. Fails with every problem at once; never throws, never writes.
 *
 * @since 0.2.0
 * @category constructors
 */
export const load = (source: string, options: LoadOptions): Effect.Effect<Flow, LoadErrors> =>
  Effect.suspend(() => {
    const result = loadSync(source, options)
    return result instanceof LoadErrors ? Effect.fail(result) : Effect.succeed(result)
  })

/** The offset of the first byte that is not UTF-8, if any. */
const invalidUtf8 = (bytes: Uint8Array): number | undefined => {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (length === 0 || i + length > bytes.length) return i
    for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i
    const b1 = bytes[i + 1]!
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i
    i += length
  }
  return undefined
}

/**
 * Loads a flow from bytes: they must be UTF-8 (a byte that is not is an
 * error at its line and column).
 *
 * @since 0.2.0
 * @category constructors
 */
export const loadBytes = (bytes: Uint8Array, options: LoadOptions): Effect.Effect<Flow, LoadErrors> =>
  Effect.suspend(() => {
    const bad = invalidUtf8(bytes)
    if (bad !== undefined) {
      const before = new TextDecoder("utf-8").decode(bytes.subarray(0, bad))
      const { column, line } = positionsOfText(before).at(before.length)
      return Effect.fail(
        new LoadErrors({
          errors: [{
            file: options.file,
            line,
            column,
            message: `the file is not UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, "0")} at offset ${bad}`
          }]
        })
      )
    }
    return load(new TextDecoder("utf-8").decode(bytes), options)
  })

/**
 * Loads a flow from a file (see {@link load}); `file` defaults to the path.
 * A file that cannot be read is one error at line 1.
 *
 * @since 0.2.0
 * @category constructors
 */
export const loadFile = (
  path: string,
  options: Omit<LoadOptions, "file"> & { readonly file?: string | undefined }
): Effect.Effect<Flow, LoadErrors> => {
  const file = options.file ?? path
  return Effect.tryPromise({
    try: () => readFile(path),
    catch: (error) =>
      new LoadErrors({
        errors: [{
          file,
          line: 1,
          column: 1,
          message: `cannot read the file: ${error instanceof Error ? error.message : String(error)}`
        }]
      })
  }).pipe(Effect.flatMap((bytes) => loadBytes(bytes, { ...options, file })))
}

/**
 * A JSON Schema (draft-07) of the flow format for a registry: the
 * registered names as the values of `use:`, each with its `with:` keys and
 * their types. Point yaml-language-server at it
 * (`# yaml-language-server: $schema=flow.schema.json`) for completion and
 * checks in editors; `Yaml.load` remains the authority.
 *
 * @since 0.2.0
 * @category utils
 */
export const jsonSchema = (registry: Registry): { readonly [key: string]: unknown } => JsonSchemaInternal.make(registry)

/**
 * YAML as a file format of the built-in file steps from code
 * (`Steps.read({ ..., format: Yaml.codec })`); YAML flows' `read:` and
 * `write:` use it for `.yaml` / `.yml` files.
 *
 * @since 0.4.0
 * @category utils
 */
export const codec: Steps.Codec = yamlCodec

/**
 * `composeWorkflow` for templates whose types the compiler does not know
 * (YAML flows, `Template.Any`): the same check, at run time — every key a
 * later part reads is checked against what earlier parts wrote (the provided
 * type must be assignable to the required one; a key that may be missing
 * does not satisfy a required one), and two parts that need the same
 * outside key with incompatible types are refused.
 *
 * @since 0.2.0
 * @category combinators
 */
export const compose = (
  ...parts: readonly [Template.Template.Any, ...ReadonlyArray<Template.Template.Any>]
): Effect.Effect<Flow, CompositionError> =>
  Effect.suspend(() => {
    const problems: Array<{ readonly part: string; readonly message: string }> = []
    const outside = new Map<string, { readonly required: Requirement; readonly by: string }>()
    let env: Env = emptyEnv()
    for (const part of parts) {
      const before = env
      env = apply(part, env, {
        writer: part.name,
        report: (problem) =>
          problems.push({
            part: part.name,
            message: problemMessage(problem, (entry) => Array.from(entry.writers).map((w) => `part "${w}"`).join(" or "), Array.from(before.keys()))
          }),
        missing: (key, required, by) => {
          const previous = outside.get(key)
          if (previous === undefined || isAssignable(required.type, previous.required.type)) {
            outside.set(key, { required, by })
          } else if (!isAssignable(previous.required.type, required.type)) {
            problems.push({
              part: part.name,
              message: problemMessage(
                { _tag: "Conflict", key, by, required, first: previous.required, firstBy: previous.by },
                () => "",
                []
              )
            })
          }
          return true
        }
      })
    }
    if (problems.length > 0) return Effect.fail(new CompositionError({ problems }))
    return Effect.succeed(composeWorkflow(...(parts as never as [Template.Template.Any])) as unknown as Flow)
  })
