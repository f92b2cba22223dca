/**
 * `http:` steps: `method` (written out; default GET), `url`, `headers` and
 * `query` (texts, `${...}` in them), `body` (any value, sent as JSON),
 * `retries` (on 5xx and 429, honouring `Retry-After`; default 2) and `type`
 * (the response's type; a mismatch fails the step naming the field). The
 * step's `timeout:` bounds each attempt. The exchange itself
 * (`weftjs/http`'s, on `@effect/platform`'s `HttpClient`) is loaded when the
 * step first runs.
 *
 * @internal
 */
import { Duration, Effect, Schema } from "effect"
import type * as Expr from "../expr.js"
import type { YMap, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import { type Builtin, builtinStep, compileBuiltin, type Made } from "./builtin.js"
import type { AnySchema, Compilation, Compiled, StepInfo, Walk } from "./context.js"
import { declaredType } from "./declaredTypes.js"
import { formatFields } from "./format.js"

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const
const headerName = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/

type Texts = ReadonlyArray<readonly [string, (state: Expr.StateView) => string]>

const textsOf = (b: Builtin, node: YNode | undefined, what: string, name?: RegExp): Texts | undefined => {
  if (node === undefined) return []
  if (node.kind !== "map") return b.cx.error(node, `the ${what} of step "${b.info.id}" are a mapping of names to texts`)
  const out: Array<readonly [string, (state: Expr.StateView) => string]> = []
  let failed = false
  for (const e of node.entries) {
    if (name !== undefined && !name.test(e.key)) {
      b.cx.error(e.keyNode, `"${e.key}" is not a header name`)
      failed = true
      continue
    }
    const v = b.text(e.value, `${what.replace(/s$/, "")} ${e.key}`)
    if (v === undefined) failed = true
    else out.push([e.key, v])
  }
  return failed ? undefined : out
}

const record = (texts: Texts, input: Expr.StateView): Record<string, string> =>
  Object.fromEntries(texts.map(([k, v]) => [k, v(input)]))

const loadExchange = Effect.promise(() => import("../../../http/internal/step.js"))

export const httpStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled =>
  compileBuiltin(cx, item, info, walk, "http", (b, bodyFields): Made | undefined => {
    const f = bodyFields(formatFields.httpBody)
    if (f === undefined) return undefined
    const methodNode = f.get("method")?.value
    let method: (typeof methods)[number] = "GET"
    if (methodNode !== undefined) {
      const text = methodNode.kind === "scalar" ? String(methodNode.value).toUpperCase() : ""
      if ((methods as ReadonlyArray<string>).includes(text)) method = text as (typeof methods)[number]
      else cx.error(methodNode, `method is one of ${listOf(methods)}${didYouMean(text, methods)}`)
    }
    const urlEntry = f.get("url")
    if (urlEntry === undefined) cx.error(b.body, `the http of step "${info.id}" needs "url:"`)
    const url = urlEntry === undefined ? undefined : b.text(urlEntry.value, "the url")
    const written = urlEntry?.value.kind === "scalar" && typeof urlEntry.value.value === "string" && !urlEntry.value.value.includes("${")
      ? urlEntry.value.value
      : undefined
    if (written !== undefined && !/^https?:\/\/[^/\s]+/i.test(written)) {
      cx.error(urlEntry!.value, `the url "${written}" is not an http:// or https:// URL`)
    }
    const headers = textsOf(b, f.get("headers")?.value, "headers", headerName)
    const query = textsOf(b, f.get("query")?.value, "query parameters")
    const bodyEntry = f.get("body")
    const body = bodyEntry === undefined ? undefined : b.value(bodyEntry.value)
    if (bodyEntry !== undefined && (method === "GET" || method === "HEAD")) cx.error(bodyEntry.keyNode, `a ${method} request has no body`)
    const retriesNode = f.get("retries")?.value
    const retries = retriesNode === undefined ? 2 : cx.integer(retriesNode, "retries", 0)
    const typeEntry = f.get("type")
    const schema = typeEntry === undefined ? Schema.Unknown as AnySchema : declaredType(cx, typeEntry.value)
    if (url === undefined || headers === undefined || query === undefined || retries === undefined || schema === undefined) return undefined
    if (bodyEntry !== undefined && body === undefined) return undefined
    const timeout = b.policy.timeout
    return {
      schema,
      make: (common) =>
        builtinStep(common, schema, (input) =>
          Effect.flatMap(loadExchange, ({ exchange }) =>
            exchange({
              step: info.id,
              method,
              url: url(input),
              headers: record(headers, input),
              query: record(query, input),
              body: body?.run(input),
              timeout,
              retries,
              delay: Duration.seconds(1),
              maxRetryAfter: Duration.seconds(60)
            }, typeEntry === undefined ? undefined : schema)))
    }
  })
