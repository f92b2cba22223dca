/**
 * Every name the interpreter keeps for itself, in one place.
 *
 * Two kinds: **state keys** under which bookkeeping values travel with a
 * run's state (so that one checkpoint records them with the step's own
 * output, and a resume finds them), all starting with `~` and never shown to
 * users; and **step keys** of hidden checkpoints (a scope's begin and end, a
 * loop's iterations, a merge), whose last segment starts with `~` and which
 * traces leave out. A user's keys and step names cannot start with `~`
 * (their names are checked), so neither kind can clash with them.
 *
 * @internal
 */

/** Joins a path and a segment. */
export const join = (path: string, name: string): string => path === "" ? name : `${path}/${name}`

// ---------------------------------------------------------------------------
// state keys
// ---------------------------------------------------------------------------

/** Whether a state key is bookkeeping (never part of a run's visible state). */
export const isInternalKey = (key: string): boolean => key.startsWith("~")

const viewPrefix = "~view/"

/**
 * Where a flow view (one forEach element, one parallel branch, at
 * `viewPath`) keeps its writes in the run's state until the node merges them.
 */
export const viewStorePrefix = (viewPath: string): string => `${viewPrefix}${viewPath}//`

/** The prefix of every view key of the node at `nodePath`. */
export const viewsOf = (nodePath: string): string => `${viewPrefix}${nodePath}/`

/** Whether a key is a view key (absolute: views store it as is). */
export const isViewKey = (key: string): boolean => key.startsWith(viewPrefix)

/** Where a template keeps the outer value of a local key it shadows (restored when it ends). */
export const shadowKey = (templatePath: string, name: string): string => `~shadow/${join(templatePath, name)}`

/** A durable sleep's recorded wake-up time. */
export const wakeKey = (stepKey: string): string => `~durable/${stepKey}/~wake`

/** A wait's recorded signal name and deadline. */
export const waitKey = (stepKey: string): string => `~durable/${stepKey}/~wait`

/** The user key whose Schema encodes a (possibly bookkeeping) state key: the last segment of a view or shadow key. */
export const schemaKeyOf = (key: string): string => isInternalKey(key) ? key.slice(key.lastIndexOf("/") + 1) : key

// ---------------------------------------------------------------------------
// step keys of hidden checkpoints
// ---------------------------------------------------------------------------

/** Whether a step record is bookkeeping (its name starts with `~`): traces leave it out. */
export const isHiddenStep = (stepName: string): boolean => stepName.startsWith("~")

/** A scope's start (shadowed values saved). */
export const beginKey = (templatePath: string): string => join(templatePath, "~begin")

/** A scope's end (locals dropped, shadowed values restored). */
export const endKey = (templatePath: string): string => join(templatePath, "~end")

/** A loop's iteration `n`, recorded before it starts. */
export const iterationKey = (loopPath: string, n: number): string => join(loopPath, `~iter/${n}`)

/** A loop's end. */
export const loopDoneKey = (loopPath: string): string => join(loopPath, "~done")

/** A forEach's or parallel's merge of its views. */
export const mergeKey = (nodePath: string): string => join(nodePath, "~merge")

/** A sleep's start (its wake-up time recorded). */
export const sleepStartKey = (stepKey: string): string => join(stepKey, "~sleep")

/** A wait's start (its deadline recorded). */
export const waitStartKey = (stepKey: string): string => join(stepKey, "~wait")

/** A sub-flow's child run id. */
export const childRunId = (runId: string, stepKey: string): string => `${runId}/${stepKey}`

/** A step's idempotency key: the same on every execution of that step in that run. */
export const idempotencyKey = (runId: string, stepKey: string): string => `${runId}/${stepKey}`
