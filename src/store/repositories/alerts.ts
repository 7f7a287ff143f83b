import type { Database, Queryable } from "../database.ts";

/** An alert's identity: one row, one firing and one resolved message per problem. */
export interface AlertKey {
  kind: string;
  /** New York trading date (YYYY-MM-DD). */
  date: string;
  /** The underlying, or `*` (run-wide slots, the gateway). */
  symbol: string;
}

/**
 * What an event says about one alert: items now failing (`add`) and items now fine (`remove`, or every item
 * starting with `removePrefix`). An item is a slot type or `type:rule`; the alert fires while any is open.
 */
export interface AlertEdit extends AlertKey {
  add: readonly string[];
  remove: readonly string[];
  removePrefix?: string;
  type: string | null;
  runId: string | null;
  /** Becomes the alert's message when this edit changes its state. */
  message: string;
  at: Date;
}

export type AlertState = "firing" | "resolved";

export interface AlertRow extends AlertKey {
  id: number;
  state: AlertState;
  openItems: string[];
  type: string | null;
  runId: string | null;
  message: string;
  revision: number;
  timesFired: number;
  repeatsSuppressed: number;
  firstFiredAt: Date;
  changedAt: Date;
  resolvedAt: Date | null;
  /** Channel names the current state's message has not reached yet. */
  undelivered: string[];
  deliveryAttempts: number;
  lastDeliveryError: string | null;
  deliveredAt: Date | null;
}

const COLUMNS = `id, kind, alert_date AS "date", symbol, state, open_items AS "openItems",
  collection_type AS "type", run_id AS "runId", message, revision, times_fired AS "timesFired",
  repeats_suppressed AS "repeatsSuppressed", first_fired_at AS "firstFiredAt", changed_at AS "changedAt",
  resolved_at AS "resolvedAt", undelivered, delivery_attempts AS "deliveryAttempts",
  last_delivery_error AS "lastDeliveryError", delivered_at AS "deliveredAt"`;

function asRow(row: AlertRow): AlertRow {
  return {
    ...row,
    id: Number(row.id),
    openItems: jsonArray(row.openItems),
    undelivered: jsonArray(row.undelivered),
  };
}

/** A jsonb array as either engine hands it back (parsed, or as text). */
function jsonArray(value: unknown): string[] {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

async function lockedRow(tx: Queryable, key: AlertKey): Promise<AlertRow | null> {
  const result = await tx.query<AlertRow>(
    `SELECT ${COLUMNS} FROM alerts WHERE kind = $1 AND alert_date = $2 AND symbol = $3 FOR UPDATE`,
    [key.kind, key.date, key.symbol],
  );
  return result.rows[0] ? asRow(result.rows[0]) : null;
}

/**
 * Applies an edit in one transaction and says whether the alert changed state: `changed` means a message
 * (firing or resolved) is owed to every channel in `channels`, which the row now lists as undelivered.
 * A repeat of something already firing only updates the row (repeats_suppressed), so concurrent failures,
 * retries and restarts send nothing twice. Returns null when the edit touched no alert.
 */
export async function applyAlertEdit(
  db: Database,
  edit: AlertEdit,
  channels: readonly string[],
): Promise<{ row: AlertRow; changed: boolean } | null> {
  return db.transaction(async (tx) => {
    let current = await lockedRow(tx, edit);
    if (current === null) {
      if (edit.add.length === 0) return null;
      const inserted = await tx.query<AlertRow>(
        `INSERT INTO alerts (kind, alert_date, symbol, state, open_items, collection_type, run_id, message,
                             first_fired_at, changed_at, undelivered)
         VALUES ($1, $2, $3, 'firing', $4::jsonb, $5, $6, $7, $8, $8, $9::jsonb)
         ON CONFLICT (kind, alert_date, symbol) DO NOTHING
         RETURNING ${COLUMNS}`,
        [
          edit.kind,
          edit.date,
          edit.symbol,
          JSON.stringify([...new Set(edit.add)]),
          edit.type,
          edit.runId,
          edit.message,
          edit.at,
          JSON.stringify(channels),
        ],
      );
      if (inserted.rows[0]) return { row: asRow(inserted.rows[0]), changed: true };
      // Another process inserted it between our look and our insert: edit its row instead.
      current = await lockedRow(tx, edit);
      if (current === null) return null;
    }
    const removed = new Set(edit.remove);
    const kept = current.openItems.filter(
      (item) =>
        !removed.has(item) && !(edit.removePrefix !== undefined && item.startsWith(edit.removePrefix)),
    );
    const repeats = edit.add.filter((item) => current.openItems.includes(item)).length;
    const items = [...new Set([...kept, ...edit.add])];
    const state: AlertState = items.length > 0 ? "firing" : "resolved";
    if (state === current.state) {
      const result = await tx.query<AlertRow>(
        `UPDATE alerts SET open_items = $2::jsonb, repeats_suppressed = repeats_suppressed + $3
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [current.id, JSON.stringify(items), current.state === "firing" ? repeats : 0],
      );
      return { row: asRow(result.rows[0]!), changed: false };
    }
    const result = await tx.query<AlertRow>(
      `UPDATE alerts
          SET state = $2::text, open_items = $3::jsonb, collection_type = $4, run_id = $5, message = $6,
              revision = revision + 1, changed_at = $7,
              times_fired = times_fired + CASE WHEN $2::text = 'firing' THEN 1 ELSE 0 END,
              resolved_at = CASE WHEN $2::text = 'resolved' THEN $7::timestamptz END,
              undelivered = $8::jsonb, delivery_attempts = 0, last_delivery_error = NULL
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        current.id,
        state,
        JSON.stringify(items),
        edit.type,
        edit.runId,
        edit.message,
        edit.at,
        JSON.stringify(channels),
      ],
    );
    return { row: asRow(result.rows[0]!), changed: true };
  });
}

/** The keys of every firing alert of `kind` with `item` open (the gateway is back: each of them recovers). */
export async function firingWithItem(db: Queryable, kind: string, item: string): Promise<AlertKey[]> {
  const result = await db.query<AlertKey>(
    `SELECT kind, alert_date AS "date", symbol FROM alerts
      WHERE kind = $1 AND state = 'firing' AND open_items @> $2::jsonb ORDER BY id`,
    [kind, JSON.stringify([item])],
  );
  return result.rows;
}

/** A channel got the message of this revision; a message of an older revision no longer counts. */
export async function markDelivered(
  db: Queryable,
  id: number,
  revision: number,
  channel: string,
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE alerts SET undelivered = undelivered - $3::text, delivered_at = $4
      WHERE id = $1 AND revision = $2`,
    [id, revision, channel, at],
  );
}

/** A channel refused every try; the row keeps it as undelivered, with why (no secrets: the caller scrubs). */
export async function recordDeliveryFailure(
  db: Queryable,
  id: number,
  revision: number,
  error: string,
  attempts: number,
): Promise<void> {
  await db.query(
    `UPDATE alerts SET delivery_attempts = delivery_attempts + $4, last_delivery_error = $3
      WHERE id = $1 AND revision = $2`,
    [id, revision, error, attempts],
  );
}

/** Alerts whose current message some channel still owes, changed at or after `since`, oldest first. */
export async function undeliveredAlerts(db: Queryable, since: Date): Promise<AlertRow[]> {
  const result = await db.query<AlertRow>(
    `SELECT ${COLUMNS} FROM alerts WHERE undelivered <> '[]'::jsonb AND changed_at >= $1 ORDER BY changed_at, id`,
    [since],
  );
  return result.rows.map(asRow);
}

/** Every alert, or those of trading dates in [from, to], in the order they were first raised. */
export async function listAlerts(
  db: Queryable,
  range: { from?: string; to?: string } = {},
): Promise<AlertRow[]> {
  const result = await db.query<AlertRow>(
    `SELECT ${COLUMNS} FROM alerts
      WHERE ($1::date IS NULL OR alert_date >= $1) AND ($2::date IS NULL OR alert_date <= $2)
      ORDER BY id`,
    [range.from ?? null, range.to ?? null],
  );
  return result.rows.map(asRow);
}
