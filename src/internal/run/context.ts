/**
 * The run context: one run's state as the interpreter holds it while it
 * executes (typed values with their stored form), its cursor, its claim, and
 * what it needs from its engine (`RunEnv`). Flow and durable nodes get
 * everything through it — the interpreter's recursion and child runs
 * included — so that no node module imports the interpreter.
 *
 * @internal
 */
import type { Context, Duration, Schedule } from "effect"
import { Clock, Effect } from "effect"
import type { Event } from "../../Event.js"
import type * as Settings from "../../Settings.js"
import type {
  ErrorSummary,
  FollowUp,
  Lease,
  Service as Store,
  StepRecord,
  StoredEntry,
  StoredState,
  TriggeredBy
} from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { Hold } from "./hold.js"
import { isViewKey } from "./keys.js"

/** One state value: typed, as stored, and its size. */
export interface Entry {
  readonly value: unknown
  readonly stored: StoredEntry
  readonly size: number
}

/** Retry and timeout inherited from enclosing templates. */
export interface Policy {
  readonly retry: Schedule.Schedule<unknown, never> | undefined
  readonly stepTimeout: Duration.Duration | undefined
}

/** How a finished (or suspended) execution of a run reports back. */
export interface RunOutcome {
  readonly runId: string
  readonly state: Record<string, unknown>
  readonly info: {
    readonly createdAt: Date
    readonly updatedAt: Date
    readonly entries: Readonly<Record<string, { readonly writtenAt: Date; readonly expiresAt: Date | null }>>
  }
  readonly records: ReadonlyArray<StepRecord>
}

/** Runs sub-flows as child runs, inside their parent's execution. */
export interface ChildRuns {
  /**
   * Runs the child run `childId` of `parent` to its end: creates it (with
   * `input`) when it does not exist, else resumes it; a completed child is
   * only read back. Fails with the child's error, or `Suspended`.
   */
  readonly run: (
    parent: RunContext,
    template: Template.Template.Any,
    childId: string,
    input: Record<string, unknown>
  ) => Effect.Effect<RunOutcome, unknown, unknown>
}

/** What a run needs from its engine. */
export interface RunEnv {
  readonly store: Store
  readonly settings: Settings.WeftSettings
  /** This engine's owner id (claims). */
  readonly owner: string
  /** Publishes a progress event; free when nobody listens. */
  readonly publish: (event: Event) => Effect.Effect<void>
  /** Whether anyone listens to events (so that they are built only then). */
  readonly listening: () => boolean
  /** The interpreter's recursion: runs a template's nodes under `path`. */
  readonly interpret: (
    ctx: RunContext,
    template: Template.Template.Any,
    path: string,
    policy: Policy
  ) => Effect.Effect<void, unknown, unknown>
  readonly children: ChildRuns
  /** The engine's event triggers: the runs a top-level run's end starts (recorded with the end). */
  readonly triggers?: RunTriggers | undefined
}

/** What event triggers ask of a run's end. */
export interface RunTriggers {
  /** The runs to record with the end of `ctx` (none when no trigger listens for it). */
  readonly followUps: (
    ctx: RunContext,
    status: "completed" | "failed",
    error: ErrorSummary | null
  ) => Effect.Effect<ReadonlyArray<FollowUp>>
  /** Called once the end is recorded: takes the follow-up runs up. */
  readonly recorded: (followUps: ReadonlyArray<FollowUp>) => Effect.Effect<void>
}

const liveClock = Clock.make()

/**
 * One run's execution state. A flow view (one forEach element, one parallel
 * branch) is a `RunContext` too: it has `entries` of its own but shares the
 * run's cursor, records and claim through `root`, and mirrors its writes
 * into the root's state under `storePrefix`, so that checkpoints keep them
 * apart from the run's own keys until the node merges them.
 */
export class RunContext {
  readonly entries = new Map<string, Entry>()
  /** The step records of this execution and of the ones before it (the trace, at the end). */
  readonly records: Array<StepRecord> = []
  completed: Set<string> = new Set()
  seq = 0
  createdAt = 0
  updatedAt = 0
  stateBytes = 0
  bytesSinceSnapshot = 0
  /** How many flow views run at once: checkpoints are serialized only then. */
  concurrentViews = 0
  root: RunContext = this
  storePrefix = ""
  /** The top-level run of this run's lineage (itself unless it is a sub-flow's child run). */
  rootId: string
  queue = "default"
  /** Its priority within its queue (recorded when the run is created). */
  priority = 0
  /** The whole run's timeout (ms, 0: none) and the execution time it had used before this execution. */
  timeoutMillis = 0
  elapsedBefore = 0
  /** Until when the run's lease holds as stored, and the execution time the heartbeats recorded meanwhile. */
  leaseUntil = 0
  beatCounted = 0
  traceContext: string | null = null
  /** What started the run by itself (recorded with it when it is created). */
  triggeredBy: TriggeredBy | null = null
  /** Whether this execution is traced (spans per run and step; see tracing.ts). */
  tracing = false
  /** Whether this execution went on from a stored checkpoint (rather than starting the run). */
  restored = false
  /** A pause asked of this execution (a view reads its root's; a child run shares its parent's). */
  hold: Hold = new Hold()
  /**
   * The clock of this execution (the fiber's when it started: `execute` sets
   * it), read synchronously on the step path; a view reads its root's.
   */
  clock: Clock.Clock = liveClock
  constructor(
    readonly env: RunEnv,
    readonly template: Template.Template.Any,
    readonly runId: string,
    /** The claim this execution writes under (a view shares its root's). */
    public lease: Lease
  ) {
    this.rootId = runId
  }

  /** The current time (ms) on the execution's clock. */
  now(): number {
    return this.root.clock.unsafeCurrentTimeMillis()
  }

  /** The key under which a write of this context is stored (view keys are absolute). */
  storedKey(key: string): string {
    return this.root === this || isViewKey(key) ? key : this.storePrefix + key
  }

  set(key: string, entry: Entry): void {
    if (this.root !== this) this.root.set(this.storedKey(key), entry)
    const previous = this.entries.get(key)
    this.stateBytes += entry.size - (previous?.size ?? 0)
    this.entries.set(key, entry)
  }

  unset(key: string): void {
    if (this.root !== this) this.root.unset(this.storedKey(key))
    const previous = this.entries.get(key)
    if (previous === undefined) return
    this.stateBytes -= previous.size
    this.entries.delete(key)
  }

  storedState(): StoredState {
    const entries: Record<string, StoredEntry> = {}
    for (const [key, entry] of this.entries) entries[key] = entry.stored
    return { entries, createdAt: this.createdAt, updatedAt: this.updatedAt }
  }
}

/**
 * Provides a run's services (captured where it was started or its template
 * registered) to the untyped interpreter: the one place where the services
 * an interpreted template needs are taken as given.
 */
export const withServices = <A, E>(effect: Effect.Effect<A, E, unknown>, context: Context.Context<never>): Effect.Effect<A, E> =>
  Effect.provide(effect as Effect.Effect<A, E>, context)
