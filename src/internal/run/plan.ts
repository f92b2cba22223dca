/**
 * A template compiled for execution, once: its nodes in order with their
 * path segments, each step with what executing it needs ready (its input
 * keys, output guard and encoder from `codecs.ts`, its timeout, retry,
 * TTL in milliseconds, fallback chain and error strategy), and the keys its
 * runs promote to the search index. The interpreter reads a template's plan
 * once per scope it enters and, per step, only reads fields: no cache
 * lookup, no Schema construction, no Duration conversion.
 *
 * Built when a template is registered (`planOf` from the registry) and, for
 * a template reached otherwise (a nested one, a forEach body), the first
 * time it is interpreted; kept as long as its template (a `WeakMap`).
 *
 * @internal
 */
import type { Duration, Effect, Schedule } from "effect"
import { Duration as D } from "effect"
import type * as Step from "../../Step.js"
import type * as Template from "../../Template.js"
import { nodesOf } from "../template/walk.js"
import { type CompiledStep, compileStep } from "./codecs.js"
import type { Policy } from "./context.js"
import { searchKeys } from "./search.js"

/** A step as executed: its compiled Schemas and policies, read with no lookup. */
export interface StepPlan extends CompiledStep {
  readonly step: Step.Step.Any
  readonly name: string
  /** The step's `run`, untyped. */
  readonly run: (input: Record<string, unknown>, context: Step.Context) => Effect.Effect<unknown, unknown, unknown>
  /** Its own timeout (the template's applies when absent). */
  readonly timeout: Duration.Duration | undefined
  /** Its own retry schedule (the template's, then the settings', apply when absent). */
  readonly retry: Schedule.Schedule<unknown, unknown> | undefined
  /** Which errors to retry (`Step.make({ retryWhile })`, `Step.retryOn`); all when absent. */
  readonly retryWhile: ((error: unknown) => boolean) | undefined
  /** How long its written values live (ms), or `null`: as long as their run. */
  readonly ttlMillis: number | null
  /** The step run when this one still fails. */
  readonly fallback: StepPlan | undefined
  /** Whether a failure is recorded as skipped (`onError: "skip"`) rather than failing the run. */
  readonly skip: boolean
}

/** A template as executed: its nodes, their path segments, its policy and its runs' search keys. */
export interface TemplatePlan {
  readonly template: Template.Template.Any
  /** The nodes, in order. */
  readonly nodes: ReadonlyArray<Template.Node>
  /** Each node's path segment: its name, with `#2`, `#3`... for repeated names. */
  readonly names: ReadonlyArray<string>
  /** Each step node's plan (`undefined` at the other nodes). */
  readonly steps: ReadonlyArray<StepPlan | undefined>
  /** Whether the template sets a retry or step timeout of its own (else it inherits its scope's). */
  readonly ownPolicy: boolean
  /** The keys of a run of this template promoted to the search index. */
  readonly searchKeys: ReadonlySet<string>
}

const stepPlans = new WeakMap<Step.Step.Any, StepPlan>()

/** The plan of a step (and of its fallbacks). */
export const stepPlanOf = (step: Step.Step.Any): StepPlan => {
  let plan = stepPlans.get(step)
  if (plan === undefined) {
    const ttl = step.ttl
    plan = {
      ...compileStep(step),
      step,
      name: step.name,
      run: (step as unknown as StepPlan["step"] & { readonly run: StepPlan["run"] }).run,
      timeout: step.timeout,
      retry: step.retry as Schedule.Schedule<unknown, unknown> | undefined,
      retryWhile: (step as { readonly retryWhile?: ((error: unknown) => boolean) | undefined }).retryWhile,
      ttlMillis: ttl !== undefined && D.isFinite(ttl) ? D.toMillis(ttl) : null,
      fallback: step.fallback === undefined ? undefined : stepPlanOf(step.fallback),
      skip: step.onError === "skip"
    }
    stepPlans.set(step, plan)
  }
  return plan
}

const templatePlans = new WeakMap<Template.Template.Any, TemplatePlan>()

/** The plan of a template (built the first time it is asked for). */
export const planOf = (template: Template.Template.Any): TemplatePlan => {
  let plan = templatePlans.get(template)
  if (plan === undefined) {
    const counts = new Map<string, number>()
    const names = template.steps.map((node) => {
      const n = (counts.get(node.name) ?? 0) + 1
      counts.set(node.name, n)
      return n === 1 ? node.name : `${node.name}#${n}`
    })
    plan = {
      template,
      nodes: template.steps,
      names,
      steps: template.steps.map((node) => node._tag === "Step" ? stepPlanOf(node) : undefined),
      ownPolicy: template.retry !== undefined || template.stepTimeout !== undefined,
      searchKeys: searchKeys(template)
    }
    templatePlans.set(template, plan)
  }
  return plan
}

/**
 * Compiles a template tree for execution: its plan and those of every
 * template inside it (nested, control-flow bodies and branches, sub-flows),
 * so that its runs find them built. Called when a template is registered.
 */
export const compilePlans = (template: Template.Template.Any): void => {
  planOf(template)
  for (const node of nodesOf(template, { intoSubflows: true, once: true })) {
    if (node._tag === "Template") planOf(node as Template.Template.Any)
    else if (node._tag === "Step") stepPlanOf(node)
  }
}

/** The policy a template's nodes run under: its own retry and step timeout, else its scope's. */
export const policyOf = (plan: TemplatePlan, inherited: Policy): Policy =>
  plan.ownPolicy
    ? { retry: plan.template.retry ?? inherited.retry, stepTimeout: plan.template.stepTimeout ?? inherited.stepTimeout }
    : inherited
