/**
 * The YAML format's vocabulary: the kinds of step, the fields of each part,
 * the merge functions of `parallel`, and the patterns names must follow.
 * Read by the compiler (unknown-field errors) and the JSON Schema.
 *
 * @internal
 */

/** The kinds of YAML step, by their key. */
export const stepKinds = [
  "use",
  "branch",
  "loop",
  "forEach",
  "parallel",
  "sleep",
  "waitForSignal",
  "subflow",
  "command",
  "http",
  "read",
  "write",
  "transform",
  "validate"
] as const

/** The built-in kinds of step (each writes one key: its `output:`, else its id). */
export const builtinKinds = ["command", "http", "read", "write", "transform", "validate"] as const

/** A built-in kind of step. */
export type BuiltinKind = (typeof builtinKinds)[number]

/** A kind of YAML step. */
export type StepKind = (typeof stepKinds)[number]

/** The fields of each part of the format (for unknown-field errors and the JSON Schema). */
export const formatFields = {
  flow: ["name", "version", "description", "inputs", "types", "vars", "local", "retry", "timeout", "steps", "triggers"],
  use: ["id", "use", "with", "output", "as", "if", "retry", "timeout", "onError", "description"],
  template: ["id", "use", "with", "if", "description"],
  subflow: ["id", "subflow", "with", "if", "description"],
  branch: ["id", "branch", "if", "description"],
  branchBody: ["if", "then", "else", "on", "cases", "default"],
  loop: ["id", "loop", "if", "description"],
  loopBody: ["while", "maxIterations", "check", "steps"],
  forEach: ["id", "forEach", "if", "description"],
  forEachBody: ["over", "as", "steps", "collect", "into", "concurrency"],
  parallel: ["id", "parallel", "if", "description"],
  parallelBody: ["branches", "concurrency", "mode", "merge"],
  sleep: ["id", "sleep", "if", "description"],
  waitForSignal: ["id", "waitForSignal", "if", "description"],
  waitForSignalBody: ["name", "key", "payload", "timeout", "default"],
  retry: ["count", "delay", "backoff", "factor", "maxDelay"],
  onError: ["fallback"],
  fallback: ["use", "with"],
  command: ["id", "command", "output", "as", "if", "retry", "timeout", "onError", "description"],
  commandBody: ["program", "args", "cwd", "env", "inherit", "secrets", "stdin", "parse", "type"],
  http: ["id", "http", "output", "as", "if", "retry", "timeout", "onError", "description"],
  httpBody: ["method", "url", "headers", "query", "body", "retries", "type"],
  read: ["id", "read", "output", "as", "if", "retry", "onError", "description"],
  readBody: ["path", "format", "type"],
  write: ["id", "write", "output", "as", "if", "retry", "onError", "description"],
  writeBody: ["path", "value", "format"],
  transform: ["id", "transform", "output", "as", "if", "description"],
  validate: ["id", "validate", "output", "as", "if", "onError", "description"],
  validateBody: ["value", "type"]
} as const

/** The formats of files (`read:` / `write:`). */
export const fileFormats = ["json", "jsonl", "yaml", "text"] as const

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
