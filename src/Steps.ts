/**
 * Built-in steps: ordinary typed steps (durable, retried, skipped, traced
 * like any) for work that needs no code of its own. Each writes one state
 * key, `output`, with a Schema for its value.
 *
 * - {@link command}: runs a program with an argument array (no shell), in
 *   its own process group, with only the environment it is given; a
 *   timeout or a cancelled run kills the group; standard output is the
 *   value (text, or JSON decoded with a Schema); a failure is a
 *   `CommandFailed` with the exit code and the end of standard error.
 * - {@link read} / {@link write}: JSON, JSON-lines or text files (YAML
 *   with `weftjs/yaml`'s `Yaml.codec`) under a root folder (a path that
 *   leads out of it, through `..` or a symbolic link, is a `FileFailed`);
 *   writes are atomic (a temporary file, then a rename).
 * - {@link transform}: a value computed from the input, checked by its Schema.
 * - {@link validate}: a value checked by a Schema; a mismatch is a
 *   `ValueInvalid` naming every field at fault.
 *
 * YAML flows use the same steps (`command:`, `read:`, `write:`,
 * `transform:`, `validate:`, and `http:` through `weftjs/yaml`).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Steps, Template } from "weftjs"
 *
 * const count = Steps.command({
 *   name: "count",
 *   requires: { file: Schema.String },
 *   output: "lines",
 *   program: "wc",
 *   args: ({ file }) => ["-l", file],
 *   timeout: "10 seconds"
 * })
 * const flow = Template.make({ name: "count", version: "1", steps: [count] })
 * ```
 *
 * @since 0.4.0
 */
import { Duration, Effect, type Schedule, Schema } from "effect"
import type { CommandFailed, FileFailed, StepTimeout, ValueInvalid } from "./Errors.js"
import { runCommand } from "./internal/steps/command.js"
import { decodeValue, parseJson } from "./internal/steps/decode.js"
import { codecOf, formatOfPath, readUnder, writeUnder } from "./internal/steps/files.js"
import * as Step from "./Step.js"

/**
 * How a file's text becomes a value and back (for a format the core does
 * not know: `weftjs/yaml`'s `Yaml.codec` reads and writes YAML).
 *
 * @since 0.4.0
 * @category models
 */
export interface Codec {
  readonly parse: (text: string) => unknown
  readonly stringify: (value: unknown) => string
}

/**
 * The file formats the core knows: JSON, JSON lines (one value a line, a
 * list in the state) and text.
 *
 * @since 0.4.0
 * @category models
 */
export type Format = "json" | "jsonl" | "text"

/**
 * A setting given as it is, or computed from the step's input.
 *
 * @since 0.4.0
 * @category models
 */
export type Computed<In, A> = A | ((input: In) => A)

/**
 * What every built-in step takes.
 *
 * @since 0.4.0
 * @category models
 */
export interface Common<RF extends Schema.Struct.Fields, K extends string, E, OE extends Step.OnError> {
  /** Unique within its template. */
  readonly name: string
  /** The state keys the step reads (its settings may be computed from them). */
  readonly requires?: RF | undefined
  /** The state key it writes. */
  readonly output: K
  /** Retry policy (see `Step.make`). */
  readonly retry?: Schedule.Schedule<unknown, NoInfer<E> | StepTimeout> | undefined
  /** What to do when it still fails after its retries. */
  readonly onError?: OE | undefined
  /** Time-to-live of what it writes. */
  readonly ttl?: Duration.DurationInput | undefined
}

/**
 * The step a built-in constructor returns: it reads `RF`, writes `A` under `K`.
 *
 * @since 0.4.0
 * @category models
 */
export type BuiltIn<RF extends Schema.Struct.Fields, K extends string, A, I, E, OE extends Step.OnError> = Step.Step<
  Step.Slice<RF>,
  Step.ProvidedBy<{ readonly [P in K]: Schema.Schema<A, I> }, OE>,
  OE extends "skip" ? never : E,
  never
>

const computed = <In, A>(value: Computed<In, A> | undefined, input: In): A | undefined =>
  typeof value === "function" ? (value as (input: In) => A)(input) : value

/**
 * A built-in-like step from its common options, the Schema of its value and
 * a run producing the value: what `weftjs/http`'s `HttpStep` is made with.
 *
 * @since 0.4.0
 * @category constructors
 */
export const custom = <RF extends Schema.Struct.Fields, K extends string, A, I, E, OE extends Step.OnError>(
  options: Common<RF, K, E, OE>,
  schema: Schema.Schema<A, I, never>,
  run: (input: Step.Slice<RF>, context: Step.Context) => Effect.Effect<A, E>
): BuiltIn<RF, K, A, I, E, OE> => build(options, schema, run)

const build = <RF extends Schema.Struct.Fields, K extends string, A, I, E, OE extends Step.OnError>(
  options: Common<RF, K, E, OE>,
  schema: Schema.Schema<A, I, never>,
  run: (input: Step.Slice<RF>, context: Step.Context) => Effect.Effect<A, E>,
  timeout?: Duration.DurationInput | undefined
): BuiltIn<RF, K, A, I, E, OE> =>
  Step.make({
    name: options.name,
    requires: (options.requires ?? {}) as Schema.Struct.Fields,
    provides: { [options.output]: schema } as Schema.Struct.Fields,
    run: (input, context) =>
      Effect.map(run(input as Step.Slice<RF>, context), (value) => ({ [options.output]: value })) as never,
    retry: options.retry as never,
    timeout,
    ttl: options.ttl,
    onError: options.onError
  }) as unknown as BuiltIn<RF, K, A, I, E, OE>

/**
 * Options of {@link command}.
 *
 * @since 0.4.0
 * @category models
 */
export interface CommandOptions<RF extends Schema.Struct.Fields, K extends string, A, I, OE extends Step.OnError>
  extends Common<RF, K, CommandFailed | ValueInvalid, OE>
{
  /** The program: a name looked up on `PATH` (passed on unless `env` sets it) or a path. Never a shell. */
  readonly program: string
  /** Its arguments, as they are (no shell: nothing is split, expanded or quoted). */
  readonly args?: Computed<Step.Slice<RF>, ReadonlyArray<string>> | undefined
  /** Its working folder (default: this process's). */
  readonly cwd?: Computed<Step.Slice<RF>, string> | undefined
  /** Variables set for it. Nothing else of this process's environment is passed on (but `PATH`) unless named in `inherit` or `secrets`. */
  readonly env?: Computed<Step.Slice<RF>, Readonly<Record<string, string>>> | undefined
  /** Names of this process's variables passed on as they are (e.g. `PATH`, `HOME`). */
  readonly inherit?: ReadonlyArray<string> | undefined
  /** Names of this process's variables passed on whose values are masked (`***`) in the output and errors. */
  readonly secrets?: ReadonlyArray<string> | undefined
  /** Text written to its standard input. */
  readonly stdin?: Computed<Step.Slice<RF>, string> | undefined
  /** How long it may run: then its process group is killed and the step fails with `CommandFailed` (`"timeout"`). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Standard output is JSON decoded with this Schema (default: kept as text). */
  readonly json?: Schema.Schema<A, I, never> | undefined
}

/**
 * A step that runs a program (see the module's description); its value is
 * its standard output: text, or JSON decoded with `json`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const command = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  A = string,
  I = string,
  const OE extends Step.OnError = "fail"
>(options: CommandOptions<RF, K, A, I, OE>): BuiltIn<RF, K, A, I, CommandFailed | ValueInvalid, OE> => {
  const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
  const schema = (options.json ?? Schema.String) as unknown as Schema.Schema<A, I, never>
  return build(options, schema, (input) =>
    runCommand({
      step: options.name,
      program: options.program,
      args: computed(options.args, input) ?? [],
      cwd: computed(options.cwd, input),
      env: computed(options.env, input) ?? {},
      inherit: options.inherit ?? [],
      secrets: options.secrets ?? [],
      stdin: computed(options.stdin, input),
      timeout
    }).pipe(
      Effect.flatMap((stdout): Effect.Effect<A, CommandFailed | ValueInvalid> =>
        options.json === undefined
          ? Effect.succeed(stdout as A)
          : Effect.flatMap(parseJson(stdout, options.name, "the output"), (value) =>
            decodeValue(schema, value, options.name, "the output"))
      )
    ))
}

/**
 * Options of {@link read}.
 *
 * @since 0.4.0
 * @category models
 */
export interface ReadOptions<RF extends Schema.Struct.Fields, K extends string, A, I, OE extends Step.OnError>
  extends Common<RF, K, FileFailed | ValueInvalid, OE>
{
  /** The folder paths are relative to; nothing outside it is read. */
  readonly root: string
  /** The file, relative to `root`. */
  readonly path: Computed<Step.Slice<RF>, string>
  /** Its format (default: from its extension: `.json`, `.jsonl`/`.ndjson`, else text). */
  readonly format?: Format | Codec | undefined
  /** The Schema of its content (default: `Schema.Unknown`). */
  readonly schema?: Schema.Schema<A, I, never> | undefined
}

const codecFor = (path: string, format: Format | Codec | undefined): Codec => {
  if (format !== undefined) return codecOf(format)
  const byPath = formatOfPath(path)
  return codecOf(byPath === "yaml" ? "text" : byPath)
}

/**
 * A step that reads a file under a root folder and writes its content
 * (decoded with `schema`) under `output`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const read = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  A = unknown,
  I = unknown,
  const OE extends Step.OnError = "fail"
>(options: ReadOptions<RF, K, A, I, OE>): BuiltIn<RF, K, A, I, FileFailed | ValueInvalid, OE> => {
  const schema = (options.schema ?? Schema.Unknown) as unknown as Schema.Schema<A, I, never>
  return build(options, schema, (input) => {
    const path = computed(options.path, input)!
    return readUnder(options.name, options.root, path, codecFor(path, options.format)).pipe(
      Effect.flatMap((value) => decodeValue(schema, value, options.name, `the file "${path}"`))
    )
  })
}

/**
 * Options of {@link write}.
 *
 * @since 0.4.0
 * @category models
 */
export interface WriteOptions<RF extends Schema.Struct.Fields, K extends string, OE extends Step.OnError>
  extends Common<RF, K, FileFailed, OE>
{
  /** The folder paths are relative to; nothing outside it is written. */
  readonly root: string
  /** The file, relative to `root` (its folders are made). */
  readonly path: Computed<Step.Slice<RF>, string>
  /** What to write. */
  readonly value: (input: Step.Slice<RF>) => unknown
  /** Its format (default: from its extension: `.json`, `.jsonl`/`.ndjson`, else text). */
  readonly format?: Format | Codec | undefined
}

/**
 * A step that writes a value to a file under a root folder, atomically; it
 * writes the file's path (relative to the root) under `output`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const write = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  const OE extends Step.OnError = "fail"
>(options: WriteOptions<RF, K, OE>): BuiltIn<RF, K, string, string, FileFailed, OE> =>
  build(options, Schema.String, (input) => {
    const path = computed(options.path, input)!
    return Effect.as(writeUnder(options.name, options.root, path, codecFor(path, options.format), options.value(input)), path)
  })

/**
 * Options of {@link transform}.
 *
 * @since 0.4.0
 * @category models
 */
export interface TransformOptions<RF extends Schema.Struct.Fields, K extends string, A, I, OE extends Step.OnError>
  extends Common<RF, K, never, OE>
{
  /** The Schema of the value. */
  readonly schema: Schema.Schema<A, I, never>
  /** Computes the value. */
  readonly run: (input: Step.Slice<RF>) => A
}

/**
 * A step that computes a value from its input and writes it under `output`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const transform = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  A = unknown,
  I = unknown,
  const OE extends Step.OnError = "fail"
>(options: TransformOptions<RF, K, A, I, OE>): BuiltIn<RF, K, A, I, never, OE> =>
  build(options, options.schema, (input) => Effect.sync(() => options.run(input)))

/**
 * Options of {@link validate}.
 *
 * @since 0.4.0
 * @category models
 */
export interface ValidateOptions<RF extends Schema.Struct.Fields, K extends string, A, I, OE extends Step.OnError>
  extends Common<RF, K, ValueInvalid, OE>
{
  /** The Schema the value must match. */
  readonly schema: Schema.Schema<A, I, never>
  /** The value to check. */
  readonly value: (input: Step.Slice<RF>) => unknown
}

/**
 * A step that checks a value against a Schema and writes it, decoded,
 * under `output`; a mismatch is a `ValueInvalid` naming every field at
 * fault.
 *
 * @since 0.4.0
 * @category constructors
 */
export const validate = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  A = unknown,
  I = unknown,
  const OE extends Step.OnError = "fail"
>(options: ValidateOptions<RF, K, A, I, OE>): BuiltIn<RF, K, A, I, ValueInvalid, OE> =>
  build(options, options.schema, (input) =>
    Effect.suspend(() => decodeValue(options.schema, options.value(input), options.name, "the value")))
