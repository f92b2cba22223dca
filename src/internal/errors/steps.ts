/**
 * The errors of the built-in steps (`Steps.command`, `Steps.http`, file
 * steps, `Steps.validate`), re-exported by `Errors`.
 *
 * @internal
 */
import { Schema } from "effect"
import { formatIssues, formatPath, Issue, TypeId } from "./base.js"
import type { Kind } from "./base.js"

/**
 * A program run by a command step (`Steps.command`) did not succeed: it
 * exited with another code than 0 (`"exit"`), was killed by a signal
 * (`"signal"`), ran past its timeout (`"timeout"`: its process group was
 * killed), or could not be started (`"spawn"`). Carries the last lines of
 * its standard error (secrets masked).
 *
 * @since 0.4.0
 * @category errors
 */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  step: Schema.String,
  program: Schema.String,
  reason: Schema.Literal("exit", "signal", "timeout", "spawn"),
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  /** The end of what it wrote to standard error (at most 2,000 characters). */
  stderr: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    const why = this.reason === "exit"
      ? `exited with code ${this.exitCode}`
      : this.reason === "signal"
      ? `was killed by ${this.signal}`
      : this.reason === "timeout"
      ? "ran past its timeout (its process group was killed)"
      : "could not be started"
    const tail = this.stderr.trim()
    return `Step "${this.step}": ${this.program} ${why}${tail === "" ? "" : `: ${tail}`}`
  }
}

/**
 * An HTTP step (`Steps.http`) got no acceptable response: a status that is
 * not 2xx (after its retries, for 5xx and 429), a timeout, or a transport
 * failure (the server could not be reached).
 *
 * @since 0.4.0
 * @category errors
 */
export class HttpFailed extends Schema.TaggedError<HttpFailed>()("HttpFailed", {
  step: Schema.String,
  method: Schema.String,
  url: Schema.String,
  reason: Schema.Literal("status", "timeout", "transport"),
  status: Schema.NullOr(Schema.Number),
  /** The start of the response's body, or what went wrong (at most 2,000 characters). */
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    const why = this.reason === "status" ? `answered ${this.status}` : this.reason === "timeout" ? "timed out" : "failed"
    return `Step "${this.step}": ${this.method} ${this.url} ${why}${this.detail === "" ? "" : `: ${this.detail}`}`
  }
}

/**
 * A file step (`Steps.read` / `Steps.write`) could not do its work: the path
 * leads out of its root folder (`"outside-root"`, through `..` or a symbolic
 * link), there is no such file (`"not-found"`), its content does not parse
 * in its format (`"parse"`), or the file system failed (`"io"`).
 *
 * @since 0.4.0
 * @category errors
 */
export class FileFailed extends Schema.TaggedError<FileFailed>()("FileFailed", {
  step: Schema.String,
  operation: Schema.Literal("read", "write"),
  path: Schema.String,
  reason: Schema.Literal("outside-root", "not-found", "parse", "io"),
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" cannot ${this.operation} "${this.path}" (${this.reason}): ${this.detail}`
  }
}

/**
 * A value a step produced or received does not match its declared Schema
 * (`Steps.validate`, a command's JSON output, an HTTP response, a file read
 * with a type): every issue names the field at fault.
 *
 * @since 0.4.0
 * @category errors
 */
export class ValueInvalid extends Schema.TaggedError<ValueInvalid>()("ValueInvalid", {
  step: Schema.String,
  /** What was checked: "the value", "the output", "the response", "the file ...". */
  what: Schema.String,
  issues: Schema.Array(Issue)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}": ${this.what} does not match its type: ${formatIssues(this.issues)}`
  }
  /** The fields at fault, e.g. `["items.0.price"]`. */
  get keys(): ReadonlyArray<string> {
    return this.issues.map((issue) => formatPath(issue.path))
  }
}
