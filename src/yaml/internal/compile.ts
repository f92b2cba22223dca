/**
 * From a positioned YAML tree to an ordinary `Template`, checked on the way
 * as strictly as the compiler checks code: every key a step reads against
 * what the flow has written by then (by type, with the rule of
 * `composeWorkflow`), every reference, condition and value, every field.
 * Every problem is collected with its position; a template is built only
 * when there is none.
 *
 * How a YAML step becomes a node (one module of `compile/` per kind):
 *
 * - `use: <step>` (`use.ts`): a new step named after the YAML step's id,
 *   reading the keys its `with:` values refer to plus the keys the
 *   registered step reads that `with:` does not map, and calling the
 *   registered step's `run` with its input mapped (`with:` renames; nothing
 *   extra is written to the state). Its policy is the registered step's
 *   unless the YAML sets one.
 * - `use: <template>` / `subflow: <template>` (`useTemplate.ts`): the
 *   template itself (renamed after the id); when `with:` maps keys, a small
 *   step `<id>:with` before it writes them under the names the template reads.
 * - control flow and durable nodes (`branch.ts`, `loop.ts`, `forEach.ts`,
 *   `parallel.ts`, `durable.ts`): `Flow.branch` / `Flow.match`, `Flow.loop`,
 *   `Flow.forEach`, `Flow.parallel`, `Durable.sleep`,
 *   `Durable.waitForSignal`, `Durable.subflow`, with conditions compiled
 *   from the expression language (no `eval`).
 *
 * The flow itself is `compile/flow.ts`; what every part shares (the
 * diagnostics, what is known so far, the reading of YAML nodes) is
 * `compile/context.ts`.
 *
 * @internal
 */
import type { Template } from "../../index.js"
import { branchStep } from "./compile/branch.js"
import { commandStep, readStep, transformStep, validateStep, writeStep } from "./compile/builtins.js"
import { Compilation, type Input, type KindCompiler } from "./compile/context.js"
import { sleepStep, waitForSignalStep } from "./compile/durable.js"
import { compileFlow } from "./compile/flow.js"
import { forEachStep } from "./compile/forEach.js"
import { httpStep } from "./compile/http.js"
import type { StepKind } from "./compile/format.js"
import { loopStep } from "./compile/loop.js"
import { parallelStep } from "./compile/parallel.js"
import { useStep } from "./compile/use.js"
import { subflowStep } from "./compile/useTemplate.js"

export type { Input }

/** The compiler of each kind of YAML step. */
const kinds: Readonly<Record<StepKind, KindCompiler>> = {
  use: useStep,
  subflow: subflowStep,
  branch: branchStep,
  loop: loopStep,
  forEach: forEachStep,
  parallel: parallelStep,
  sleep: sleepStep,
  waitForSignal: waitForSignalStep,
  command: commandStep,
  http: httpStep,
  read: readStep,
  write: writeStep,
  transform: transformStep,
  validate: validateStep
}

/** Compiles a flow; `undefined` when there was a problem (in the diagnostics). */
export const compile = (input: Input): Template.Template.Any | undefined => compileFlow(new Compilation(input, kinds))
