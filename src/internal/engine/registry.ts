/**
 * The templates an engine knows, by name and version, each with the services
 * its steps need (captured where it was registered). A second, different
 * template under a name and version already known is a `TemplateConflict`:
 * "different" means structurally — the same template built twice by the same
 * code (same nodes, names, keys, Schemas and policies) is the same template.
 * Templates are keyed by the pair of name and version (`coll@1` version `2`
 * and `coll` version `1@2` are two templates).
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Context, Duration, Either } from "effect"
import type * as Durable from "../../Durable.js"
import { TemplateConflict } from "../../Errors.js"
import type * as Flow from "../../Flow.js"
import type * as Step from "../../Step.js"
import type * as Template from "../../Template.js"
import { compilePlans } from "../run/plan.js"
import { nodesOf } from "../template/walk.js"

/** A known template with the services its steps run with. */
export interface Registered {
  readonly template: Template.Template.Any
  readonly context: Context.Context<never>
  readonly fingerprint: ReadonlyArray<string>
}

/** `name@version`, for messages only: `@` may be part of a name or a version, so templates are keyed by the pair. */
export const keyOf = (name: string, version: string): string => `${name}@${version}`

/** The registry's key of a name and version: the pair, unambiguous whatever characters they hold. */
const pairKey = (name: string, version: string): string => JSON.stringify([name, version])

const fingerprintCache = new WeakMap<Template.Template.Any, ReadonlyArray<string>>()

/**
 * A template's structure as lines of text (one per node, indented by depth):
 * what two templates must share to be the same. Functions (a step's `run`,
 * a predicate) cannot be compared and are left out.
 */
export const fingerprint = (template: Template.Template.Any): ReadonlyArray<string> => {
  const cached = fingerprintCache.get(template)
  if (cached !== undefined) return cached
  const lines: Array<string> = []
  const fields = (f: Readonly<Record<string, { readonly ast: unknown }>>) =>
    Object.entries(f).map(([key, field]) => `${key}: ${String(field.ast)}`).join(", ")
  const duration = (d: Duration.Duration | undefined) => d === undefined ? "-" : Duration.format(d)
  const step = (s: Step.Step.Any, depth: number): void => {
    const retryWhile = (s as { readonly retryWhile?: unknown }).retryWhile !== undefined
    lines.push(
      `${"  ".repeat(depth)}step ${s.name} reads {${fields(s.requires)}} writes {${fields(s.provides)}} ` +
        `retry=${s.retry === undefined ? "-" : "custom"}${retryWhile ? "+while" : ""} timeout=${duration(s.timeout)} ` +
        `ttl=${duration(s.ttl)} onError=${s.onError}`
    )
    if (s.fallback !== undefined) step(s.fallback, depth + 1)
  }
  const flow = (f: Flow.Flow.Any, depth: number): void => {
    const spec = f.spec
    const pad = "  ".repeat(depth)
    switch (spec.kind) {
      case "branch":
        lines.push(`${pad}branch ${f.name} reads {${fields(spec.requires)}} arms ${spec.labels.join(",")}`)
        for (const label of spec.labels) {
          const arm = spec.arms[label]
          lines.push(`${pad}  arm ${label}`)
          if (arm !== undefined) node(arm, depth + 2)
        }
        return
      case "loop":
        lines.push(`${pad}loop ${f.name} reads {${fields(spec.requires)}} max=${spec.maxIterations} check=${spec.check}`)
        return node(spec.body, depth + 1)
      case "forEach":
        lines.push(
          `${pad}forEach ${f.name} over=${spec.over} as=${spec.as} collect=${spec.collect} into=${spec.into} ` +
            `concurrency=${spec.concurrency}`
        )
        return node(spec.body, depth + 1)
      case "parallel":
        lines.push(
          `${pad}parallel ${f.name} mode=${spec.mode} concurrency=${spec.concurrency} ` +
            `merge=${Object.keys(spec.merge).sort().join(",")}`
        )
        for (const label of spec.labels) {
          lines.push(`${pad}  branch ${label}`)
          node(spec.branches[label]!, depth + 2)
        }
        return
    }
  }
  const durable = (d: Durable.Node, depth: number): void => {
    const pad = "  ".repeat(depth)
    switch (d._tag) {
      case "Sleep":
        return void lines.push(`${pad}sleep ${d.name} ${duration(d.duration)}`)
      case "WaitForSignal":
        return void lines.push(
          `${pad}wait ${d.name} signal=${d.signal} key=${d.key} schema=${String(d.schema.ast)} timeout=${duration(d.timeout)} ` +
            `default=${d.onTimeout === undefined ? "-" : "yes"}`
        )
      case "Subflow":
        lines.push(`${pad}subflow ${d.name}`)
        return node(d.template, depth + 1)
    }
  }
  const node = (n: Template.Node, depth: number): void => {
    switch (n._tag) {
      case "Step":
        return step(n, depth)
      case "Template":
        lines.push(
          `${"  ".repeat(depth)}template ${n.name}@${n.version} local=${n.local.join(",")} ` +
            `retry=${n.retry === undefined ? "-" : "custom"} stepTimeout=${duration(n.stepTimeout)}`
        )
        for (const child of n.steps) node(child, depth + 1)
        return
      case "Flow":
        return flow(n, depth)
      default:
        return durable(n, depth)
    }
  }
  node(template as Template.Node, 0)
  fingerprintCache.set(template, lines)
  return lines
}

const digestCache = new WeakMap<Template.Template.Any, string>()

/**
 * A short digest of a template's {@link fingerprint} (16 hex digits of its SHA-256), stored with each run:
 * an engine whose template of that name and version has another digest refuses the run.
 */
export const fingerprintDigest = (template: Template.Template.Any): string => {
  let digest = digestCache.get(template)
  if (digest === undefined) {
    digest = createHash("sha256").update(fingerprint(template).join("\n")).digest("hex").slice(0, 16)
    digestCache.set(template, digest)
  }
  return digest
}

/** Where two fingerprints first differ, in words. */
const difference = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): string => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `node ${i + 1} is ${JSON.stringify(a[i]?.trim() ?? "(nothing)")} in the registered one and ` +
        `${JSON.stringify(b[i]?.trim() ?? "(nothing)")} in the other`
    }
  }
  return "they differ"
}

/** Every template a template runs as a sub-flow (at any depth), itself first. */
const withSubflows = (template: Template.Template.Any): ReadonlyArray<Template.Template.Any> => [
  template,
  ...nodesOf(template, { intoSubflows: true }).flatMap((node) => node._tag === "Subflow" ? [node.template] : [])
]

/** The templates of an engine. */
export class Registry {
  private readonly byKey = new Map<string, Registered>()

  /**
   * Registers a template and the templates of its sub-flows, with the
   * services of `context`. Registering the same template again keeps the
   * first registration's services unless `context` is given anew.
   */
  register(template: Template.Template.Any, context: Context.Context<never>): Either.Either<boolean, TemplateConflict> {
    // the very registration made last, made again (each run's start makes it): nothing changes
    if (template === this.last.template && context === this.last.context) return Either.right(false)
    for (const t of withSubflows(template)) {
      const key = pairKey(t.name, t.version)
      const known = this.byKey.get(key)
      if (known !== undefined && known.template !== t) {
        const mine = known.fingerprint
        const theirs = fingerprint(t)
        if (mine.length !== theirs.length || mine.some((line, i) => line !== theirs[i])) {
          return Either.left(new TemplateConflict({ name: t.name, version: t.version, detail: difference(mine, theirs) }))
        }
      }
    }
    for (const t of withSubflows(template)) {
      const key = pairKey(t.name, t.version)
      const known = this.byKey.get(key)
      // the first template object stays (its runs keep running with it); new services replace old ones
      this.byKey.set(key, { template: known?.template ?? t, context, fingerprint: known?.fingerprint ?? fingerprint(t) })
    }
    // its plan (and its nested templates' and sub-flows'), built now rather than by its first run
    compilePlans(template)
    this.last = { template, context }
    return Either.right(true)
  }

  /** The last registration made (the same one again changes nothing). */
  private last: { readonly template: unknown; readonly context: unknown } = { template: undefined, context: undefined }

  get(name: string, version: string): Registered | undefined {
    return this.byKey.get(pairKey(name, version))
  }

  get size(): number {
    return this.byKey.size
  }

  templates(): ReadonlyArray<Template.Template.Any> {
    return Array.from(this.byKey.values(), (r) => r.template)
  }

  /** Name and version of every template known. */
  keys(): ReadonlyArray<{ readonly name: string; readonly version: string }> {
    return Array.from(this.byKey.values(), (r) => ({ name: r.template.name, version: r.template.version }))
  }
}

/** An empty context, for templates registered without services. */
export const emptyContext: Context.Context<never> = Context.empty()
