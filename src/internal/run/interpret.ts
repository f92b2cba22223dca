/**
 * The interpreter's recursion, in one place: a template's nodes in order,
 * each dispatched to the step, flow or durable interpreter, and the scoping
 * of its local keys. Flow and durable nodes come back here through the run
 * context's `interpret`.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import { turnIfOverdue, yieldPoint } from "../eventLoop.js"
import type { StateDelta, StoredEntry } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { checkpoint } from "./checkpoint.js"
import type { Policy, RunContext } from "./context.js"
import { runDurable } from "./durable.js"
import { runFlow } from "./flow.js"
import { Held } from "./hold.js"
import { beginKey, endKey, join, shadowKey } from "./keys.js"
import { planOf, policyOf } from "./plan.js"
import { runStepNow } from "./step.js"

/** How many steps done at once follow one another before the run's fiber lets others run. */
const syncBatch = 64

/** Runs a template's nodes under `path`, with its retry and timeout defaults and its local keys' scope. */
export const interpret = (
  ctx: RunContext,
  template: Template.Template.Any,
  path: string,
  inherited: Policy
): Effect.Effect<void, unknown, unknown> => {
  const plan = planOf(template)
  const policy = policyOf(plan, inherited)
  const { names, nodes, steps } = plan
  const children = Effect.suspend(() => {
    // a plain loop of flatMaps: no fiber or generator per node; steps done at once (see `runStepNow`)
    // follow one another in the loop itself, up to `syncBatch` of them before the fiber may yield, and
    // never past the event loop's time budget (then it waits for the loop's turn: timers, I/O, heartbeats)
    let i = 0
    const next = (): Effect.Effect<void, unknown, unknown> => {
      for (let done = 0; i < nodes.length; done++) {
        // a pause asked: stop here, after the node in flight was recorded (the run is handed back, paused)
        if (ctx.root.hold.requested) return Effect.fail(new Held(ctx.runId))
        // the one place where a burst of steps done at once lets the fiber yield: after `syncBatch` steps, or
        // past the event loop's time budget (see `eventLoop.ts`)
        const yielded = yieldPoint(done, syncBatch)
        if (yielded !== undefined) return Effect.flatMap(yielded, next)
        const at = i++
        const node = nodes[at]!
        const key = join(path, names[at]!)
        const run = node._tag === "Step"
          ? runStepNow(ctx, steps[at]!, key, policy)
          : node._tag === "Template"
          ? interpret(ctx, node, key, policy)
          : node._tag === "Flow"
          ? runFlow(ctx, node, key, policy)
          : runDurable(ctx, node, key, policy)
        if (run !== undefined) return Effect.flatMap(run, next)
      }
      // what follows the last node (a run's end: its final write) waits for the loop's turn too, if overdue
      return turnIfOverdue
    }
    return next()
  })
  if (template.local.length === 0) return children
  return Effect.zipRight(begin(ctx, template, path), Effect.zipRight(children, end(ctx, template, path)))
}

// ---------------------------------------------------------------------------
// local keys
//
// Local keys may shadow values from outside the template: those are saved
// under a bookkeeping key when the template starts and restored when it
// ends, each move recorded as a checkpoint so that a resume sees it too.
// ---------------------------------------------------------------------------

const bookkeeping = (
  ctx: RunContext,
  key: string,
  delta: StateDelta,
  written: Map<string, { readonly value: unknown; readonly size: number }>
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    checkpoint(ctx, {
      stepKey: key,
      stepName: key.slice(key.lastIndexOf("/") + 1),
      status: "completed",
      attempts: 0,
      startedAt: now,
      endedAt: now,
      delta,
      error: null
    }, written))

const begin = (ctx: RunContext, template: Template.Template.Any, path: string) =>
  Effect.suspend(() => {
    const key = beginKey(path)
    if (ctx.completed.has(key)) return Effect.void
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { readonly value: unknown; readonly size: number }>()
    for (const name of template.local) {
      const outer = ctx.entries.get(name)
      if (outer === undefined) continue
      set[shadowKey(path, name)] = outer.stored
      written.set(shadowKey(path, name), { value: outer.value, size: outer.size })
    }
    if (written.size === 0) return Effect.void
    return bookkeeping(ctx, key, { set, unset: [] }, written)
  })

const end = (ctx: RunContext, template: Template.Template.Any, path: string) =>
  Effect.suspend(() => {
    const key = endKey(path)
    if (ctx.completed.has(key)) return Effect.void
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { readonly value: unknown; readonly size: number }>()
    const unset: Array<string> = []
    for (const name of template.local) {
      const saved = ctx.entries.get(shadowKey(path, name))
      if (saved !== undefined) {
        set[name] = saved.stored
        written.set(name, { value: saved.value, size: saved.size })
        unset.push(shadowKey(path, name))
      } else if (ctx.entries.has(name)) {
        unset.push(name)
      }
    }
    if (unset.length === 0) return Effect.void
    return bookkeeping(ctx, key, { set, unset }, written)
  })
