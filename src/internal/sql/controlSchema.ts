/**
 * The DDL of the runs table that migrations 6 and 8 (run control) create, and
 * of the queue starts table (`schema.ts` runs them). Released DDL: its text never changes.
 *
 * @internal
 */

/** The runs table of weft 0.2 (migration 6), the base of {@link runsV3}. */
export const runsV2 = (name: string, bigint: string) => `CREATE TABLE ${name} (
  run_id TEXT PRIMARY KEY NOT NULL,
  template_name TEXT NOT NULL,
  template_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'suspended', 'completed', 'failed', 'cancelled')),
  seq ${bigint} NOT NULL DEFAULT 0,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL,
  expires_at ${bigint},
  error TEXT,
  timeout_ms ${bigint} NOT NULL DEFAULT 0,
  elapsed_ms ${bigint} NOT NULL DEFAULT 0,
  wake_at ${bigint},
  waiting_for TEXT,
  parent_id TEXT,
  root_id TEXT NOT NULL,
  queue TEXT NOT NULL DEFAULT 'default',
  owner TEXT,
  lease_until ${bigint},
  generation ${bigint} NOT NULL DEFAULT 0,
  trace_context TEXT
)`

/** Every status of weft 0.4, as migration 8 writes the CHECK constraint (its text never changes). */
export const statusesV3 = `('queued', 'running', 'suspended', 'paused', 'completed', 'failed', 'cancelled')`

/** The columns migration 8 copies from the runs table of migrations 6 and 7. */
export const v3Copied = "run_id, template_name, template_version, status, seq, created_at, updated_at, expires_at, error, " +
  "timeout_ms, elapsed_ms, wake_at, waiting_for, parent_id, root_id, queue, owner, lease_until, generation, " +
  "trace_context, template_fingerprint"

/** The runs table of weft 0.4 (migration 8): v2 with every status, its fingerprint, and run control. */
export const runsV3 = (name: string, bigint: string) =>
  runsV2(name, bigint)
    .replace(/status IN \([^)]*\)/, `status IN ${statusesV3}`)
    .replace(/\n\)$/, `,
  template_fingerprint TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  recovery_attempts INTEGER NOT NULL DEFAULT 0,
  paused_from TEXT CHECK (paused_from IN ('queued', 'running', 'suspended'))
)`)

/** The starts of queued runs by queue, for rate limits (`ClaimFilter.rateLimit`): one row per start, kept one period. */
export const queueStarts = (bigint: string): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS weft_queue_starts (queue TEXT NOT NULL, started_at ${bigint} NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS weft_queue_starts_at ON weft_queue_starts (queue, started_at)`
]
