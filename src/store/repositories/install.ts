import type { Queryable } from "../database.ts";

/** Who recorded the install instant: the first daemon start or the first collection on this database. */
export type InstallRecorder = "daemon" | "collect";

/**
 * Records `at` as the moment chainvault first started on this database, unless one is recorded already
 * (it is never overwritten); returns the instant that is recorded. `at` comes from the caller's clock (the
 * daemon's, or the gateway's for a collection), so a test on a simulated clock sees simulated time.
 */
export async function recordInstall(db: Queryable, at: Date, by: InstallRecorder): Promise<Date> {
  const result = await db.query<{ installed_at: Date }>(
    `WITH inserted AS (
       INSERT INTO chainvault_install (installed_at, recorded_by) VALUES ($1, $2)
       ON CONFLICT (singleton) DO NOTHING RETURNING installed_at)
     SELECT installed_at FROM inserted
     UNION ALL SELECT installed_at FROM chainvault_install
     LIMIT 1`,
    [at, by],
  );
  return new Date(result.rows[0]!.installed_at);
}

/** When chainvault first started on this database; null before its first daemon or collection. */
export async function readInstall(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ installed_at: Date }>("SELECT installed_at FROM chainvault_install");
  const value = result.rows[0]?.installed_at;
  return value === undefined ? null : new Date(value);
}
