import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import type { Database, DedicatedSession } from "./database.ts";
import { underlyingDatabase } from "./outage.ts";

/**
 * One run per part of a split collection: a session-level advisory lock per part key on a connection of the
 * worker's own, which the server drops the moment the process dies, so a killed worker's part is free for the
 * run pg-boss hands it to, while a live one (pg-boss judged it gone because its event loop stalled) keeps it
 * and the second run is refused instead of storing the same contracts again. On the embedded engine, whose one
 * session is shared, an in-process set does this job. The part's row (repositories/collection-parts.ts) names
 * the holder.
 */
const heldInProcess = new WeakMap<Database, Set<string>>();

function processHeld(db: Database): Set<string> {
  const base = underlyingDatabase(db);
  let held = heldInProcess.get(base);
  if (!held) heldInProcess.set(base, (held = new Set()));
  return held;
}

export class PartLock {
  private constructor(
    private readonly db: Database,
    private readonly session: DedicatedSession,
    private readonly name: string,
    private readonly logger?: Logger,
  ) {}

  /** The part's lock, or null when another run holds it. */
  static async take(db: Database, partKey: string, logger?: Logger): Promise<PartLock | null> {
    const name = `chainvault:part:${partKey}`;
    const held = processHeld(db);
    if (held.has(name)) return null;
    held.add(name);
    let session: DedicatedSession | undefined;
    try {
      session = await db.dedicatedSession();
      const result = await session.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
        [name],
      );
      if (result.rows[0]?.locked !== true) {
        held.delete(name);
        await session.close();
        return null;
      }
      return new PartLock(db, session, name, logger);
    } catch (error) {
      held.delete(name);
      await session?.close().catch(() => undefined);
      throw error;
    }
  }

  /** Never throws: a lock that cannot be released goes with its session. */
  async release(): Promise<void> {
    processHeld(this.db).delete(this.name);
    try {
      if (!this.session.lost)
        await this.session.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [this.name]);
    } catch (error) {
      this.logger?.debug({ err: errorMessage(error) }, "part unlock failed; the session ends anyway");
    }
    await this.session.close().catch(() => undefined);
  }
}
