/**
 * The DDL of migration 9 (`schema.ts` runs it): the schedules table.
 *
 * @internal
 */

/** The schedules table (migration 9). */
export const schedulesTable = (bigint: string) => `CREATE TABLE IF NOT EXISTS weft_schedules (
  name TEXT PRIMARY KEY NOT NULL,
  template_name TEXT NOT NULL,
  template_version TEXT NOT NULL,
  cron TEXT NOT NULL,
  time_zone TEXT,
  input TEXT,
  overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'allow', 'bufferOne')),
  catch_up TEXT NOT NULL CHECK (catch_up IN ('none', 'last', 'all')),
  catch_up_max ${bigint} NOT NULL,
  queue TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL,
  last_tick ${bigint},
  last_run_id TEXT,
  buffered_tick ${bigint}
)`
