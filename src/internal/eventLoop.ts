/**
 * The event loop's turn, under load. Effect resumes fibers on the microtask
 * queue, SQLite writes synchronously and the group commit flushes on a
 * microtask: with many runs executing, node would go from one microtask to
 * the next without ever reaching its timers or I/O (a heartbeat sleeping a
 * third of a lease woke minutes late, and the engine's leases lapsed). So
 * work that can wait measures how long the loop has been held since it last
 * turned, and once that passes {@link budgetMillis} it waits for the loop's
 * next turn ({@link nextTurn}): timers and I/O run, then the waiters are
 * resumed in the order they came, as many as fit in the next budget (the
 * rest wait for the turn after: none is resumed only to wait again).
 *
 * Work that batches what those resumed fibers do (the group commit) runs
 * after the turn's resumptions ({@link afterResumptions}), so that the
 * fibers resumed in one turn still share one commit.
 *
 * @internal
 */
import { Effect } from "effect"

/** How long synchronous work and the microtasks it queues may hold the loop before waiting for its turn. */
export const budgetMillis = 10

/** When the current stretch began (the first look since the loop last turned), or `undefined`. */
let since: number | undefined
/** The process's CPU time (µs) then: a stretch is overdue on CPU spent, not on wall time a busy machine stretched. */
let cpuSince = 0
const cpuMicros = (): number => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}
const turned = (): void => {
  since = undefined
}

/** Whether the work done since the event loop last turned has held it past the budget (of CPU time). */
export const overdue = (): boolean => {
  const now = performance.now()
  if (since === undefined) {
    since = now
    cpuSince = cpuMicros()
    // the loop reaches its check phase (after timers and I/O): a new stretch begins
    setImmediate(turned)
    return false
  }
  // the wall clock first (cheap): CPU time is read only once the budget's wall time passed
  return now - since >= budgetMillis && cpuMicros() - cpuSince >= budgetMillis * 1000
}

interface Waiter {
  resume: () => void
}

const noop = (): void => {}

/** Fibers waiting for the loop's next turn, in order (from `head` on). */
let waiters: Array<Waiter> = []
let head = 0
/** A turn's resumptions are under way (or scheduled). */
let resuming = false
/** What runs once a turn's resumptions are over (see {@link afterResumptions}). */
let after: Array<() => void> = []

/** Whether fibers wait for the loop's turn, not resumed yet (the test kit's auto-time waits for them). */
export const turnPending = (): boolean => head < waiters.length

const runAfter = (): void => {
  const fns = after
  after = []
  for (const fn of fns) fn()
}

/** Resumes the waiters one at a time, each after the one before ran, while the budget lasts. */
const resumeNext = (): void => {
  while (head < waiters.length) {
    if (overdue()) {
      runAfter()
      setImmediate(atTurn)
      return
    }
    const waiter = waiters[head++]!
    if (waiter.resume === noop) continue
    waiter.resume()
    // the resumed fiber runs on a microtask queued before this one
    queueMicrotask(resumeNext)
    return
  }
  waiters = []
  head = 0
  resuming = false
  runAfter()
}

/**
 * The loop's turn (its check phase, after timers and I/O): a new budget begins here, whatever work
 * ran before in this phase, so that each turn resumes at least one waiter.
 */
const atTurn = (): void => {
  since = undefined
  resumeNext()
}

/** Waits for the loop's next turn (timers and I/O run first); resumed in order, within a turn's budget. */
export const nextTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const waiter: Waiter = { resume: () => resume(Effect.void) }
  waiters.push(waiter)
  if (!resuming) {
    resuming = true
    setImmediate(atTurn)
  }
  return Effect.sync(() => {
    waiter.resume = noop
  })
})

/**
 * Runs `fn` once the resumptions of the current turn are over (the fibers
 * resumed in it have run), or on a microtask when none are under way.
 */
export const afterResumptions = (fn: () => void): void => {
  if (resuming) after.push(fn)
  else queueMicrotask(fn)
}

/** Waits for the loop's next turn if the loop is overdue, else goes on at once. */
export const turnIfOverdue: Effect.Effect<void> = Effect.suspend(() => overdue() ? nextTurn : Effect.void)

/**
 * Where a burst of synchronous work may stop, after `done` of at most `max`
 * units: the loop's next turn when it is overdue, a yield to other fibers
 * (`Effect.yieldNow`) after `max` units, else `undefined` (go on).
 */
export const yieldPoint = (done: number, max: number): Effect.Effect<void> | undefined =>
  overdue() ? nextTurn : done >= max ? Effect.yieldNow() : undefined
