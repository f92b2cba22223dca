/**
 * The built-in kinds of step that need no code: `command:` (a program on
 * the project's allow-list, with `Steps.command`), `read:` / `write:`
 * (files under the project's root for files), `transform:` (a value
 * computed by the expression language) and `validate:` (a value checked
 * against a declared type). Each writes one key (see `builtin.ts`).
 *
 * @internal
 */
import { isAbsolute, normalize, resolve } from "node:path"
import { Effect, Either, Schema } from "effect"
import { Steps } from "../../../index.js"
import { decodeValue } from "../../../internal/steps/decode.js"
import { type Codec, codecOf, formatOfPath, readUnder, writeUnder } from "../../../internal/steps/files.js"
import { isOpaque, mayBeUndefined } from "../assignable.js"
import { yamlCodec } from "../codec.js"
import type * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YEntry, YMap, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import { type Builtin, builtinStep, compileBuiltin, constantText, constantTexts, type Made } from "./builtin.js"
import type { AnySchema, Compilation, Compiled, StepInfo, Walk } from "./context.js"
import { declaredType } from "./declaredTypes.js"
import { fileFormats, formatFields } from "./format.js"

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/

type Fields = ReadonlyMap<string, YEntry>

const need = (b: Builtin, f: Fields, key: string, what: string): YEntry | undefined => {
  const entry = f.get(key)
  if (entry === undefined) b.cx.error(b.body, `the ${what} of step "${b.info.id}" needs "${key}:"`)
  return entry
}

// ---------------------------------------------------------------------------
// command
// ---------------------------------------------------------------------------

export const commandStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "command", (b, bodyFields) => {
    const f = bodyFields(formatFields.commandBody)
    if (f === undefined) return undefined
    const programEntry = need(b, f, "program", "command")
    const program = programEntry === undefined ? undefined : constantText(b, programEntry.value, "the program")
    const allowed = cx.registry.builtins?.commands ?? []
    if (program !== undefined && !allowed.includes(program)) {
      cx.error(
        programEntry!.value,
        `program "${program}" is not allowed${didYouMean(program, allowed)}: ${
          allowed.length === 0
            ? "no program is (list the ones command steps may run in the project file: yaml: { commands: [...] })"
            : `the project file allows only ${listOf(allowed)}`
        }`
      )
    }
    const argsNode = f.get("args")?.value
    let args: ReadonlyArray<(state: Expr.StateView) => string> | undefined = []
    if (argsNode !== undefined) {
      if (argsNode.kind !== "seq") {
        args = cx.error(argsNode, `the args of step "${info.id}" are a list (each one argument, as it is: no shell)`)
      } else {
        const compiled = argsNode.items.map((node, i) => b.text(node, `argument ${i + 1}`))
        args = compiled.every((a) => a !== undefined) ? compiled as ReadonlyArray<(state: Expr.StateView) => string> : undefined
      }
    }
    const cwdNode = f.get("cwd")?.value
    const cwd = cwdNode === undefined ? undefined : b.text(cwdNode, "the cwd")
    const env = envOf(b, f.get("env")?.value)
    const inherit = names(b, f.get("inherit")?.value, "inherit")
    const secrets = names(b, f.get("secrets")?.value, "secrets")
    const stdinNode = f.get("stdin")?.value
    const stdin = stdinNode === undefined ? undefined : b.text(stdinNode, "stdin")
    const parseNode = f.get("parse")?.value
    const typeEntry = f.get("type")
    let json = typeEntry !== undefined
    if (parseNode !== undefined) {
      if (parseNode.kind !== "scalar" || (parseNode.value !== "json" && parseNode.value !== "text")) {
        cx.error(parseNode, `parse is "json" or "text"`)
      } else if (parseNode.value === "text" && typeEntry !== undefined) {
        cx.error(typeEntry.keyNode, `"type" is the type of JSON output: with parse: text the output is a text`)
      } else json = parseNode.value === "json"
    }
    const declared = typeEntry === undefined ? Schema.Unknown as AnySchema : declaredType(cx, typeEntry.value)
    if (program === undefined || args === undefined || env === undefined || inherit === undefined || secrets === undefined || declared === undefined) {
      return undefined
    }
    const schema = json ? declared : Schema.String as AnySchema
    const dir = cx.registry.builtins?.dir
    const argList = args
    return {
      schema,
      make: (common) =>
        Steps.command({
          ...common,
          program,
          args: (input: Expr.StateView) => argList.map((a) => a(input)),
          cwd: cwd === undefined ? undefined : (input: Expr.StateView) => resolve(dir ?? process.cwd(), cwd(input)),
          env: (input: Expr.StateView) => Object.fromEntries(env.map(([k, v]) => [k, v(input)])),
          inherit,
          secrets,
          stdin: stdin === undefined ? undefined : (input: Expr.StateView) => stdin(input),
          timeout: b.policy.timeout,
          json: json ? schema : undefined
        } as never) as never
    }
  })

const envOf = (b: Builtin, node: YNode | undefined): ReadonlyArray<readonly [string, (state: Expr.StateView) => string]> | undefined => {
  if (node === undefined) return []
  if (node.kind !== "map") return b.cx.error(node, `the env of step "${b.info.id}" is a mapping of variables to texts`)
  const out: Array<readonly [string, (state: Expr.StateView) => string]> = []
  let failed = false
  for (const e of node.entries) {
    if (!envName.test(e.key) || e.key === "__proto__") {
      b.cx.error(e.keyNode, `"${e.key}" is not a variable name (letters, digits and "_", not starting with a digit)`)
      failed = true
      continue
    }
    const v = b.text(e.value, `variable ${e.key}`)
    if (v === undefined) failed = true
    else out.push([e.key, v])
  }
  return failed ? undefined : out
}

const names = (b: Builtin, node: YNode | undefined, what: string): ReadonlyArray<string> | undefined => {
  if (node === undefined) return []
  const list = constantTexts(b, node, what)
  if (list === undefined) return undefined
  const items = (node as { readonly items: ReadonlyArray<YNode> }).items
  const allowed = b.cx.registry.builtins?.env ?? []
  let failed = false
  list.forEach((name, i) => {
    if (!envName.test(name)) {
      failed = true
      b.cx.error(items[i]!, `"${name}" is not a variable name`)
    } else if (!allowed.includes(name)) {
      failed = true
      b.cx.error(
        items[i]!,
        `variable "${name}" may not be passed on${didYouMean(name, allowed)}: ${
          allowed.length === 0
            ? "no variable may (list the ones command steps may be given in the project file: yaml: { env: [...] })"
            : `the project file allows only ${listOf(allowed)}`
        }`
      )
    }
  })
  return failed ? undefined : list
}

// ---------------------------------------------------------------------------
// read / write
// ---------------------------------------------------------------------------

type FileFormat = (typeof fileFormats)[number]

const codecFor = (format: FileFormat): Codec => format === "yaml" ? yamlCodec : codecOf(format)

/** The path, the root and the format of a file step; a written-out path is checked now. */
const fileOf = (b: Builtin, f: Fields, kind: "read" | "write") => {
  const root = b.cx.registry.builtins?.files
  if (root === undefined) {
    b.cx.error(b.body, `${kind} steps need a folder for files: set it in the project file (yaml: { files: "data" })`)
  }
  const pathEntry = need(b, f, "path", kind)
  if (pathEntry === undefined) return undefined
  const path = b.text(pathEntry.value, "the path")
  const written = pathEntry.value.kind === "scalar" && typeof pathEntry.value.value === "string" && !pathEntry.value.value.includes("${")
    ? pathEntry.value.value
    : undefined
  if (written !== undefined && (isAbsolute(written) || normalize(written).split(/[\\/]/)[0] === "..")) {
    b.cx.error(pathEntry.value, `the path "${written}" leads out of the folder for files: give a path inside it`)
  }
  const formatNode = f.get("format")?.value
  let format: FileFormat | undefined
  if (formatNode !== undefined) {
    const text = formatNode.kind === "scalar" ? String(formatNode.value) : ""
    if ((fileFormats as ReadonlyArray<string>).includes(text)) format = text as FileFormat
    else b.cx.error(formatNode, `format is one of ${listOf(fileFormats)}${didYouMean(text, fileFormats)}`)
  } else if (written !== undefined) {
    format = formatOfPath(written)
  }
  if (root === undefined || path === undefined) return undefined
  const codec = (p: string) => codecFor(format ?? formatOfPath(p))
  return { root, path, format, codec }
}

const defaultType = (format: FileFormat | undefined): AnySchema =>
  (format === "text" ? Schema.String : format === "jsonl" ? Schema.Array(Schema.Unknown) : Schema.Unknown) as AnySchema

export const readStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "read", (b, bodyFields): Made | undefined => {
    const f = bodyFields(formatFields.readBody)
    if (f === undefined) return undefined
    const file = fileOf(b, f, "read")
    const typeEntry = f.get("type")
    const schema = typeEntry === undefined ? defaultType(file?.format) : declaredType(cx, typeEntry.value)
    if (file === undefined || schema === undefined) return undefined
    return {
      schema,
      make: (common) =>
        builtinStep(common, schema, (input) => {
          const p = file.path(input)
          return readUnder(info.id, file.root, p, file.codec(p)).pipe(
            Effect.flatMap((value) => decodeValue(schema, value, info.id, `the file "${p}"`))
          )
        })
    }
  })

export const writeStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "write", (b, bodyFields): Made | undefined => {
    const f = bodyFields(formatFields.writeBody)
    if (f === undefined) return undefined
    const file = fileOf(b, f, "write")
    const valueEntry = need(b, f, "value", "write")
    const value = valueEntry === undefined ? undefined : b.value(valueEntry.value)
    if (value !== undefined && value.constant === undefined && mayBeUndefined(value.type) && !isOpaque(value.type)) {
      return cx.error(valueEntry!.value, `the value step "${info.id}" writes may be missing here (${describe(value.type)}): give a default with ??`)
    }
    if (file === undefined || value === undefined) return undefined
    return {
      schema: Schema.String as AnySchema,
      make: (common) =>
        builtinStep(common, Schema.String as AnySchema, (input) => {
          const p = file.path(input)
          return Effect.as(writeUnder(info.id, file.root, p, file.codec(p), value.run(input)), p)
        })
    }
  })

// ---------------------------------------------------------------------------
// transform / validate
// ---------------------------------------------------------------------------

export const transformStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "transform", (b): Made | undefined => {
    const value = b.value(b.body)
    if (value === undefined) return undefined
    if (value.constant === undefined && mayBeUndefined(value.type) && !isOpaque(value.type)) {
      return cx.error(b.body, `the value of step "${info.id}" may be missing here (${describe(value.type)}): give a default with ??`)
    }
    const schema = Schema.make(value.type) as AnySchema
    return { schema, make: (common) => builtinStep(common, schema, (input) => Effect.sync(() => value.run(input))) }
  })

export const validateStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "validate", (b, bodyFields): Made | undefined => {
    const f = bodyFields(formatFields.validateBody)
    if (f === undefined) return undefined
    const valueEntry = need(b, f, "value", "validate")
    const typeEntry = need(b, f, "type", "validate")
    const value = valueEntry === undefined ? undefined : b.value(valueEntry.value)
    const schema = typeEntry === undefined ? undefined : declaredType(cx, typeEntry.value)
    if (value === undefined || schema === undefined) return undefined
    if (value.constant !== undefined) {
      // a value written out is checked now, each problem at the value
      const checked = Schema.decodeUnknownEither(schema)(value.constant.value, { errors: "all" })
      if (Either.isLeft(checked)) return cx.error(valueEntry!.value, `the value of step "${info.id}" does not match its type: ${checked.left.message}`)
    }
    return {
      schema,
      make: (common) => builtinStep(common, schema, (input) => Effect.suspend(() => decodeValue(schema, value.run(input), info.id, "the value")))
    }
  })
