/**
 * The errors of storing runs and of claiming them: the store's own faults,
 * lost claims, malformed run ids, conflicting templates. Part of the public
 * `Errors` module, which re-exports them.
 *
 * @internal
 */
import { Data } from "effect"

/**
 * The snapshot store could not do what was asked: the database file is
 * locked, read-only, corrupt, or a stored value could not be read back.
 *
 * @since 0.1.0
 * @category errors
 */
export class PersistenceError extends Data.TaggedError("PersistenceError")<{
  /** What the store was doing, e.g. `"appendStep"`. */
  readonly operation: string
  /**
   * `"locked"`: another connection holds the database (busy); `"unavailable"`:
   * I/O error, disk full, connection lost, file removed or replaced;
   * `"read-only"`: the file or its directory cannot be written; `"corrupt"`;
   * `"decode"`: a stored value does not read back; `"duplicate"`: a run with
   * this id exists already; `"unknown"`.
   */
  readonly reason: "locked" | "read-only" | "corrupt" | "unavailable" | "decode" | "duplicate" | "unknown"
  /** The database file (or server), when there is one. */
  readonly path?: string | undefined
  readonly detail: string
  readonly cause?: unknown
}> {
  /**
   * Whether trying again later may succeed (`"locked"`, `"unavailable"`):
   * such an error never fails a run; the run is left resumable.
   */
  get transient(): boolean {
    return this.reason === "locked" || this.reason === "unavailable"
  }
  override get message(): string {
    const where = this.path === undefined ? "" : ` (${this.path})`
    return `Persistence failed during ${this.operation}${where}: ${this.reason}: ${this.detail}`
  }
}

/**
 * An engine tried to write for a run it no longer holds: another engine
 * claimed it since (this engine's lease ran out, say while its process was
 * paused). Nothing was written; the run goes on in the engine that holds it.
 *
 * @since 0.2.0
 * @category errors
 */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{
  readonly runId: string
  /** The engine that lost it. */
  readonly owner: string
  /** The generation of the claim it held. */
  readonly generation: number
}> {
  override get message(): string {
    return `Run "${this.runId}" is no longer held by ${this.owner} (claim generation ${this.generation}): ` +
      "another engine took it over; nothing was written"
  }
}

/**
 * A run id that cannot be stored as given: empty, blank (only white space),
 * longer than 256 characters, holding the character U+0000 (`nul`), or not
 * well-formed UTF-16 (a lone surrogate: `malformed`). Nothing is written.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidRunId extends Data.TaggedError("InvalidRunId")<{
  readonly runId: string
  readonly reason: "empty" | "blank" | "too-long" | "nul" | "malformed"
}> {
  override get message(): string {
    const why = this.reason === "empty"
      ? "it is empty"
      : this.reason === "blank"
      ? "it is blank (only white space)"
      : this.reason === "too-long"
      ? `it is ${this.runId.length} characters long (at most 256)`
      : this.reason === "nul"
      ? "it holds the character U+0000 (NUL)"
      : "it is not well-formed UTF-16 (it holds a lone surrogate)"
    return `Invalid run id ${JSON.stringify(this.runId.slice(0, 80))}: ${why}`
  }
}

/**
 * Two different templates were registered under one name and version: runs
 * of the first would finish with the second's steps. Bump the version of the
 * one that changed.
 *
 * @since 0.2.0
 * @category errors
 */
export class TemplateConflict extends Data.TaggedError("TemplateConflict")<{
  readonly name: string
  readonly version: string
  /** What differs, e.g. `step 2 is "charge" in one and "charge_card" in the other`. */
  readonly detail: string
}> {
  override get message(): string {
    return `Two different templates are registered as ${this.name}@${this.version}: ${this.detail}. ` +
      "Give the changed one a new version"
  }
}
