/**
 * Synchronous detection of a step's effect: runs the synchronous beginning
 * of an Effect at once, as the fiber's run loop would, and hands back either
 * its success (the effect completed without suspending: `Effect.succeed`,
 * `Effect.sync`, `Effect.map`/`flatMap` of those, `Effect.gen` whose yields
 * are all synchronous) or the rest of it, as an Effect that goes on exactly
 * where the evaluation stopped (nothing is run twice).
 *
 * Only the run loop's plain instructions are taken here — a success, `Sync`,
 * `Commit` (`Effect.suspend`), `OnSuccess` (`flatMap`, `map`) and `Iterator`
 * (`Effect.gen`) — the way
 * Effect's `FiberRuntime` takes them (a throw is a defect, a failure skips
 * the success continuations); at any other instruction (an async boundary,
 * a failure, a service, a fiber ref, interruptibility, a fork...) the
 * evaluation stops and the instruction is handed back with the
 * continuations still pending, for the fiber to run. So an async step costs
 * no fiber, no exception and no stack capture for having been tried: what
 * was evaluated is what the fiber would have evaluated first anyway.
 *
 * Relies on the instruction shapes of Effect 3 (`_op`, `effect_instruction_i0`,
 * `effect_instruction_i1`), checked by the tests of the fast path.
 *
 * @internal
 */
import { Cause, Effect, Exit, FiberId } from "effect"
import { yieldWrapGet } from "effect/Utils"

/** An instruction as the run loop reads it. */
interface Primitive {
  readonly _op: string
  readonly effect_instruction_i0: unknown
  readonly effect_instruction_i1: unknown
}

/** A pending continuation: a `flatMap`'s function, or a generator to resume. */
type Frame =
  | { readonly _op: "OnSuccess"; readonly effect_instruction_i1: (value: unknown) => unknown }
  | { readonly _op: "Iterator"; readonly effect_instruction_i0: Iterator<unknown, unknown, unknown> }

/** How many instructions are evaluated at most before the rest is handed back (the run loop yields after 2,048). */
const maxOps = 512

type Eff = Effect.Effect<unknown, unknown, unknown>

/** The outcome: the effect's success value (`done`), or the effect that goes on from where evaluation stopped. */
export type SyncOutcome =
  | { readonly done: true; readonly value: unknown }
  | { readonly done: false; readonly rest: Eff }

/**
 * Evaluates the synchronous beginning of `effect` (see the module's doc).
 * The outcome object is reused (`outcome`): read it before the next call.
 */
export const evaluate = (effect: Eff): SyncOutcome => {
  let cur: unknown = effect
  let stack: Array<Frame> | undefined
  let value: unknown
  try {
    for (let ops = 0; ops < maxOps; ops++) {
      const op = (cur as Primitive | null)?._op
      if (op === "Success") {
        value = (cur as Primitive).effect_instruction_i0
      } else if (op === "Sync") {
        value = ((cur as Primitive).effect_instruction_i0 as () => unknown)()
      } else if (op === "Commit") {
        // `Effect.suspend` (and `Effect.gen`): its effect, built now, as the run loop builds it
        cur = (cur as unknown as { readonly commit: () => unknown }).commit()
        continue
      } else if (op === "OnSuccess") {
        ;(stack ??= []).push(cur as Frame)
        cur = (cur as Primitive).effect_instruction_i0
        continue
      } else if (op === "Iterator") {
        cur = resume((cur as Primitive).effect_instruction_i0 as Iterator<unknown>, undefined, (stack ??= []), cur as Frame)
        if (cur !== resumed) continue
        value = resumedValue
      } else {
        return rest(cur as Eff, stack)
      }
      // a success: the next continuation takes it
      const frame = stack?.pop()
      if (frame === undefined) return done(value)
      if (frame._op === "OnSuccess") {
        cur = frame.effect_instruction_i1(value)
      } else {
        cur = resume(frame.effect_instruction_i0, value, stack!, frame)
        if (cur === resumed) {
          // the generator returned: its value goes on to the next frame
          cur = Exit.succeed(resumedValue)
        }
      }
    }
    return rest(cur as Eff, stack)
  } catch (error) {
    // as the run loop: a throw is a defect (an interruption thrown, a defect and an interruption)
    return rest(
      Cause.isInterruptedException(error)
        ? Effect.failCause(Cause.sequential(Cause.die(error), Cause.interrupt(FiberId.none)))
        : Effect.die(error),
      undefined
    )
  }
}

const resumed = Symbol("resumed")
let resumedValue: unknown

/**
 * A generator resumed with `value`, as the run loop's `Iterator` instruction:
 * its synchronous yields (exits) are fed back at once; a yielded effect is
 * returned with the generator pushed as its continuation; `resumed` when
 * it returned (its value in `resumedValue`). A failure exit is returned
 * (it skips the generator, as in the run loop).
 */
const resume = (iterator: Iterator<unknown>, value: unknown, stack: Array<Frame>, frame: Frame): unknown => {
  while (true) {
    const state = iterator.next(value)
    if (state.done) {
      resumedValue = state.value
      return resumed
    }
    const primitive = yieldWrapGet(state.value as never) as unknown
    if (!Exit.isExit(primitive)) {
      stack.push(frame._op === "Iterator" ? frame : { _op: "Iterator", effect_instruction_i0: iterator })
      return primitive
    }
    if (primitive._tag === "Failure") return primitive
    value = primitive.value
  }
}

const success: { done: true; value: unknown } = { done: true, value: undefined }

const done = (value: unknown): SyncOutcome => {
  success.value = value
  return success
}

/** The effect that goes on from `cur` with the pending continuations, innermost first. */
const rest = (cur: Eff, stack: Array<Frame> | undefined): SyncOutcome => {
  let effect = cur
  if (stack !== undefined) {
    for (let i = stack.length - 1; i >= 0; i--) {
      const frame = stack[i]!
      effect = frame._op === "OnSuccess"
        ? Effect.flatMap(effect, frame.effect_instruction_i1 as (value: unknown) => Eff)
        : Effect.flatMap(effect, continueWith(frame.effect_instruction_i0))
    }
  }
  return { done: false, rest: effect }
}

/** A generator's continuation as a `flatMap` function: resumed as the run loop resumes it. */
const continueWith = (iterator: Iterator<unknown>) => (value: unknown): Eff => {
  const stack: Array<Frame> = []
  const frame: Frame = { _op: "Iterator", effect_instruction_i0: iterator }
  const next = resume(iterator, value, stack, frame)
  if (next === resumed) return Effect.succeed(resumedValue)
  return stack.length === 0 ? next as Eff : Effect.flatMap(next as Eff, continueWith(iterator))
}
