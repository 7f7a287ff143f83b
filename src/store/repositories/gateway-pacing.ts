import type { Queryable } from "../database.ts";

/** gateway_pacing: the rate a gateway allowed last time it made a run slow down. */

export interface GatewayPacing {
  messagesPerSecond: number;
  updatedAt: Date;
}

export async function getGatewayPacing(db: Queryable, gateway: string): Promise<GatewayPacing | null> {
  const result = await db.query<{ messages_per_second: number; updated_at: Date }>(
    "SELECT messages_per_second, updated_at FROM gateway_pacing WHERE gateway = $1",
    [gateway],
  );
  const row = result.rows[0];
  return row ? { messagesPerSecond: Number(row.messages_per_second), updatedAt: row.updated_at } : null;
}

/** Remembers the gateway's rate; `null` forgets it (the gateway kept up with the ceiling). */
export async function setGatewayPacing(
  db: Queryable,
  gateway: string,
  messagesPerSecond: number | null,
): Promise<void> {
  if (messagesPerSecond === null) {
    await db.query("DELETE FROM gateway_pacing WHERE gateway = $1", [gateway]);
    return;
  }
  await db.query(
    `INSERT INTO gateway_pacing (gateway, messages_per_second, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (gateway) DO UPDATE SET messages_per_second = EXCLUDED.messages_per_second, updated_at = now()`,
    [gateway, messagesPerSecond],
  );
}
