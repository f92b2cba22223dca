/**
 * The interpreter of control-flow nodes (Flow.ts): branch, loop, forEach,
 * parallel. Their bodies run through the context's `interpret` (the
 * recursion lives in interpret.ts).
 *
 * Durable identity: every step inside a node gets a stable key under the
 * node's path (`route/then/s`, `poll/3/s`, `each/7/s`, `par/geo/s`), so the
 * set of completed keys skips finished work on resume. Decisions are
 * recorded as checkpoints of their own:
 * - branch: `route/<label>` (visible in the trace, named after the branch),
 *   written before the arm runs; a resume takes the recorded arm;
 * - loop: an iteration key before each iteration, a done key after the last
 *   (hidden); a resume re-enters the last iteration started;
 * - forEach / parallel "all": a merge key (hidden) with the merged result;
 *   parallel "first": `race/<winner>` (visible).
 *
 * Concurrent elements and branches run on views (`RunContext`s whose writes
 * are mirrored into the root state under view keys), so they never see each
 * other's writes, and a resumed view finds its own. The merge checkpoint
 * writes the result and drops every view key of the node.
 *
 * @internal
 */
import { Clock, Effect, Either, Schema, SchemaAST } from "effect"
import { InvalidStepOutput, LoopLimitExceeded, StateExpired, StateKeyMissing } from "../../Errors.js"
import type * as Flow from "../../Flow.js"
import type { StateDelta, StepStatus, StoredEntry } from "../../SnapshotStore.js"
import { checkpoint, type Written } from "./checkpoint.js"
import { toIssues } from "./codecs.js"
import type { Entry, Policy } from "./context.js"
import { RunContext } from "./context.js"
import { summarize } from "./errors.js"
import { isViewKey, iterationKey, join, loopDoneKey, mergeKey, viewsOf, viewStorePrefix } from "./keys.js"
import { checkJson } from "./values.js"

type Spec<K extends Flow.Spec["kind"]> = Extract<Flow.Spec, { readonly kind: K }>

const noDelta: StateDelta = { set: {}, unset: [] }

/** Runs a control-flow node at `path`. */
export const runFlow = (
  ctx: RunContext,
  node: Flow.Flow.Any,
  path: string,
  policy: Policy
): Effect.Effect<void, unknown, unknown> => {
  const spec = node.spec
  switch (spec.kind) {
    case "branch":
      return runBranch(ctx, node, spec, path, policy)
    case "loop":
      return runLoop(ctx, node, spec, path, policy)
    case "forEach":
      return runForEach(ctx, node, spec, path, policy)
    case "parallel":
      return runParallel(ctx, node, spec, path, policy)
  }
}

// ---------------------------------------------------------------------------
// bookkeeping
// ---------------------------------------------------------------------------

/** Records a checkpoint of the node itself. Visible ones are announced like a step's end. */
const record = (
  ctx: RunContext,
  stepKey: string,
  stepName: string,
  options?: {
    readonly delta?: StateDelta
    readonly written?: Written
    readonly status?: StepStatus
    readonly error?: unknown
  }
) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const status = options?.status ?? "completed"
    const error = options?.error === undefined ? null : summarize(options.error)
    const internal = stepName.startsWith("~")
    yield* checkpoint(ctx, {
      stepKey,
      stepName,
      status,
      attempts: internal ? 0 : 1,
      startedAt: now,
      endedAt: now,
      delta: options?.delta ?? noDelta,
      error
    }, options?.written)
    if (internal || !ctx.env.listening()) return
    const { runId } = ctx
    yield* status === "failed"
      ? ctx.env.publish({ _tag: "StepFailed", runId, step: stepKey, attempts: 1, error: error!, at: now })
      : ctx.env.publish({ _tag: "StepCompleted", runId, step: stepKey, status, attempts: 1, durationMs: 0, at: now })
  })

/** Fails the node with an error of its own, recorded in the trace under the node's path. */
const failNode = (ctx: RunContext, node: Flow.Flow.Any, path: string, error: unknown) =>
  Effect.zipRight(record(ctx, path, node.name, { status: "failed", error }), Effect.fail(error))

const mandatoryCache = new WeakMap<Schema.Struct.Fields, ReadonlySet<string>>()

/** The keys of some fields that are not optional. */
const mandatoryKeys = (fields: Schema.Struct.Fields): ReadonlySet<string> => {
  let keys = mandatoryCache.get(fields)
  if (keys === undefined) {
    const ast = SchemaAST.typeAST(Schema.Struct(fields).ast)
    keys = new Set(
      SchemaAST.isTypeLiteral(ast)
        ? ast.propertySignatures.filter((ps) => !ps.isOptional).map((ps) => String(ps.name))
        : []
    )
    mandatoryCache.set(fields, keys)
  }
  return keys
}

/** Reads one state key as a step would: missing and expired values are typed errors. */
const readKey = (
  ctx: RunContext,
  key: string,
  reader: string,
  now: number
): Either.Either<Entry, StateKeyMissing | StateExpired> => {
  const entry = ctx.entries.get(key)
  if (entry === undefined) return Either.left(new StateKeyMissing({ step: reader, key }))
  if (entry.stored.expiresAt !== null && entry.stored.expiresAt <= now) {
    return Either.left(new StateExpired({ step: reader, key, expiredAt: entry.stored.expiresAt }))
  }
  return Either.right(entry)
}

/** The slice a predicate declared in `requires`. */
const readInput = (ctx: RunContext, node: Flow.Flow.Any, fields: Schema.Struct.Fields, path: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const mandatory = mandatoryKeys(fields)
    const input: Record<string, unknown> = {}
    for (const key of Object.keys(fields)) {
      const entry = readKey(ctx, key, path, now)
      if (Either.isLeft(entry)) {
        if (entry.left._tag === "StateKeyMissing" && !mandatory.has(key)) continue
        return failNode(ctx, node, path, entry.left)
      }
      input[key] = entry.right.value
    }
    return Effect.succeed(input)
  })

/**
 * A view of `ctx` for one element or branch at `viewPath`: the state as it
 * is now (plus `extra`), and what this view wrote before a crash.
 */
const makeView = (ctx: RunContext, viewPath: string, extra: ReadonlyMap<string, Entry>): RunContext => {
  const root = ctx.root
  const view = new RunContext(ctx.env, ctx.template, ctx.runId, root.lease)
  view.root = root
  view.storePrefix = viewStorePrefix(viewPath)
  view.completed = root.completed
  view.tracing = root.tracing
  for (const [key, entry] of ctx.entries) if (!isViewKey(key)) view.entries.set(key, entry)
  for (const [key, entry] of extra) view.entries.set(key, entry)
  for (const [key, entry] of root.entries) {
    if (key.startsWith(view.storePrefix)) view.entries.set(key.slice(view.storePrefix.length), entry)
  }
  return view
}

/** Runs views concurrently: the run's checkpoints are serialized meanwhile. */
const concurrently = <A, E, R>(ctx: RunContext, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => ctx.root.concurrentViews++),
    () => effect,
    () => Effect.sync(() => ctx.root.concurrentViews--)
  )

/** The entry a view wrote under `key` (not one it inherited from `base`). */
const wroteIn = (view: RunContext, base: RunContext, key: string): Entry | undefined => {
  const entry = view.entries.get(key)
  return entry === undefined || entry === base.entries.get(key) ? undefined : entry
}

/** Every root state key holding what the views of the node at `path` wrote. */
const viewKeys = (ctx: RunContext, path: string): ReadonlyArray<string> => {
  const prefix = viewsOf(path)
  return Array.from(ctx.root.entries.keys()).filter((key) => key.startsWith(prefix))
}

// ---------------------------------------------------------------------------
// branch
// ---------------------------------------------------------------------------

const runBranch = (ctx: RunContext, node: Flow.Flow.Any, spec: Spec<"branch">, path: string, policy: Policy) =>
  Effect.gen(function*() {
    let label = spec.labels.find((candidate) => ctx.completed.has(join(path, candidate)))
    if (label === undefined) {
      const input = yield* readInput(ctx, node, spec.requires, path)
      label = spec.select(input as never)
      if (!spec.labels.includes(label)) {
        return yield* Effect.dieMessage(`Flow "${path}": the selector returned "${label}", which is not one of its arms`)
      }
      yield* record(ctx, join(path, label), node.name)
    }
    const arm = spec.arms[label]
    if (arm !== undefined) yield* ctx.env.interpret(ctx, arm, join(path, label), policy)
  })

// ---------------------------------------------------------------------------
// loop
// ---------------------------------------------------------------------------

const runLoop = (ctx: RunContext, node: Flow.Flow.Any, spec: Spec<"loop">, path: string, policy: Policy) =>
  Effect.gen(function*() {
    const doneKey = loopDoneKey(path)
    if (ctx.completed.has(doneKey)) return
    const iteration = (n: number) => ctx.env.interpret(ctx, spec.body, join(path, String(n)), policy)
    // the last iteration a resumed run had started: go on with it
    let n = 0
    while (ctx.completed.has(iterationKey(path, n + 1))) n++
    if (n > 0) yield* iteration(n)
    for (;;) {
      const again = n === 0 && spec.check === "after"
        ? true
        : spec.while((yield* readInput(ctx, node, spec.requires, path)) as never)
      if (!again) break
      if (n >= spec.maxIterations) {
        return yield* failNode(ctx, node, path, new LoopLimitExceeded({ loop: path, maxIterations: spec.maxIterations }))
      }
      n++
      yield* record(ctx, iterationKey(path, n), "~iter")
      yield* iteration(n)
    }
    yield* record(ctx, doneKey, "~done")
  })

// ---------------------------------------------------------------------------
// forEach
// ---------------------------------------------------------------------------

const runForEach = (ctx: RunContext, node: Flow.Flow.Any, spec: Spec<"forEach">, path: string, policy: Policy) =>
  Effect.gen(function*() {
    if (ctx.completed.has(mergeKey(path))) return
    const list = readKey(ctx, spec.over, path, yield* Clock.currentTimeMillis)
    if (Either.isLeft(list)) return yield* failNode(ctx, node, path, list.left)
    const { stored, value } = list.right
    if (!Array.isArray(value) || !Array.isArray(stored.value)) {
      return yield* Effect.dieMessage(`Flow.forEach "${path}": state key "${spec.over}" does not hold a list`)
    }
    const encoded: ReadonlyArray<unknown> = stored.value
    const views = yield* concurrently(
      ctx,
      Effect.forEach(value, (item, i) =>
        Effect.suspend(() => {
          const viewPath = join(path, String(i))
          const element: Entry = {
            value: item,
            stored: { value: encoded[i], writtenAt: stored.writtenAt, expiresAt: stored.expiresAt },
            size: 0
          }
          const view = makeView(ctx, viewPath, new Map([[spec.as, element]]))
          return Effect.as(ctx.env.interpret(view, spec.body, viewPath, policy), view)
        }), { concurrency: spec.concurrency })
    )
    const values: Array<unknown> = []
    const storedValues: Array<unknown> = []
    for (const [i, view] of views.entries()) {
      const entry = wroteIn(view, ctx, spec.collect)
      if (entry === undefined) {
        return yield* failNode(ctx, node, path, new StateKeyMissing({ step: join(path, String(i)), key: spec.collect }))
      }
      values.push(entry.value)
      storedValues.push(entry.stored.value)
    }
    const now = yield* Clock.currentTimeMillis
    const checked = checkJson(storedValues, [spec.into])
    yield* record(ctx, mergeKey(path), "~merge", {
      delta: {
        set: { [spec.into]: { value: storedValues, writtenAt: now, expiresAt: null } },
        unset: viewKeys(ctx, path)
      },
      written: new Map([[spec.into, { value: values, size: checked.ok ? checked.size : 0 }]])
    })
  })

// ---------------------------------------------------------------------------
// parallel
// ---------------------------------------------------------------------------

/** Checks and encodes a merged value with the Schema of its key. */
const encodeMerged = (node: Flow.Flow.Any, key: string, value: unknown) => {
  const schema = Schema.Struct({ [key]: node.fields.writes[key] ?? Schema.Unknown }) as unknown as Schema.Schema<
    Record<string, unknown>,
    Record<string, unknown>
  >
  return Schema.validateEither(schema)({ [key]: value }, { errors: "all" }).pipe(
    Either.flatMap((valid) => Schema.encodeEither(schema)(valid, { errors: "all" })),
    Either.map((encoded) => encoded[key]),
    Either.mapLeft(toIssues),
    Either.flatMap((encoded) => {
      const checked = checkJson(encoded, [key])
      return checked.ok ? Either.right({ encoded, size: checked.size }) : Either.left([checked.issue])
    })
  )
}

const runParallel = (ctx: RunContext, node: Flow.Flow.Any, spec: Spec<"parallel">, path: string, policy: Policy) =>
  Effect.gen(function*() {
    const done = spec.mode === "all"
      ? ctx.completed.has(mergeKey(path))
      : spec.labels.some((label) => ctx.completed.has(join(path, label)))
    if (done) return
    const runOne = (label: string) =>
      Effect.suspend(() => {
        const viewPath = join(path, label)
        const view = makeView(ctx, viewPath, new Map())
        return Effect.as(ctx.env.interpret(view, spec.branches[label]!, viewPath, policy), [label, view] as const)
      })
    let finished: ReadonlyArray<readonly [string, RunContext]>
    if (spec.mode === "all") {
      finished = yield* concurrently(ctx, Effect.forEach(spec.labels, runOne, { concurrency: spec.concurrency }))
    } else {
      const permits = yield* Effect.makeSemaphore(
        spec.concurrency === "unbounded" ? spec.labels.length : spec.concurrency
      )
      finished = [yield* concurrently(ctx, Effect.raceAll(spec.labels.map((label) => permits.withPermits(1)(runOne(label)))))]
    }

    // merge, in declaration order
    const byKey = new Map<string, Array<Entry>>()
    for (const [label, view] of finished) {
      for (const key of Object.keys(spec.branches[label]!.provides)) {
        const entry = wroteIn(view, ctx, key)
        if (entry !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), entry])
      }
    }
    const now = yield* Clock.currentTimeMillis
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { readonly value: unknown; readonly size: number }>()
    for (const [key, entries] of byKey) {
      const merge = spec.merge[key]
      if (entries.length > 1 && merge !== undefined) {
        const value = merge(entries.map((entry) => entry.value as never))
        const encoded = encodeMerged(node, key, value)
        if (Either.isLeft(encoded)) {
          return yield* failNode(ctx, node, path, new InvalidStepOutput({ step: path, issues: encoded.left }))
        }
        set[key] = { value: encoded.right.encoded, writtenAt: now, expiresAt: null }
        written.set(key, { value, size: encoded.right.size })
      } else {
        // one writer (or, without a merge function, the last declared)
        const entry = entries[entries.length - 1]!
        set[key] = entry.stored
        written.set(key, { value: entry.value, size: entry.size })
      }
    }
    const delta: StateDelta = { set, unset: viewKeys(ctx, path) }
    yield* spec.mode === "all"
      ? record(ctx, mergeKey(path), "~merge", { delta, written })
      : record(ctx, join(path, finished[0]![0]), node.name, { delta, written })
  })
