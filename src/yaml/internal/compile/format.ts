/**
 * The YAML format's vocabulary: the kinds of step, the fields of each part,
 * the merge functions of `parallel`, and the patterns names must follow.
 * Read by the compiler (unknown-field errors) and the JSON Schema.
 *
 * @internal
 */

/** The kinds of YAML step, by their key. */
export const stepKinds = ["use", "branch", "loop", "forEach", "parallel", "sleep", "waitForSignal", "subflow"] as const

/** A kind of YAML step. */
export type StepKind = (typeof stepKinds)[number]

/** The fields of each part of the format (for unknown-field errors and the JSON Schema). */
export const formatFields = {
  flow: ["name", "version", "description", "inputs", "types", "vars", "local", "retry", "timeout", "steps", "triggers"],
  use: ["id", "use", "with", "retry", "timeout", "onError", "description"],
  template: ["id", "use", "with", "description"],
  subflow: ["id", "subflow", "with", "description"],
  branch: ["id", "branch", "description"],
  branchBody: ["if", "then", "else", "on", "cases", "default"],
  loop: ["id", "loop", "description"],
  loopBody: ["while", "maxIterations", "check", "steps"],
  forEach: ["id", "forEach", "description"],
  forEachBody: ["over", "as", "steps", "collect", "into", "concurrency"],
  parallel: ["id", "parallel", "description"],
  parallelBody: ["branches", "concurrency", "mode", "merge"],
  sleep: ["id", "sleep", "description"],
  waitForSignal: ["id", "waitForSignal", "description"],
  waitForSignalBody: ["name", "key", "payload", "timeout", "default"],
  retry: ["count", "delay", "backoff", "factor", "maxDelay"],
  onError: ["fallback"],
  fallback: ["use", "with"]
} as const

/** The merge functions of `parallel`. */
export const mergeFunctions = ["first", "last", "max", "min", "sum", "concat", "any", "all"] as const

/** A step id. */
export const idPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/
/** A state key. */
export const keyPattern = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
/** A flow's name. */
export const namePattern = /^[A-Za-z0-9_.:+@-]+$/
/** A case, a parallel branch, a signal's name. */
export const labelPattern = /^[A-Za-z0-9_.:-]+$/
/** What a step id cannot be (the roots of references). */
export const reserved = new Set(["inputs", "steps", "vars", "state"])
