import type { AlertState } from "../store/repositories/alerts.ts";

/**
 * What every channel receives: the webhook's JSON (generic format), the command's stdin, the email's
 * attachment-free body. Built from the alert row and the sender only, so no secret can reach it.
 */
export interface AlertMessage {
  /** An alert kind (rules.ts), or "test" for `chainvault alerts test`. */
  kind: string;
  state: AlertState;
  /** New York trading date of what failed. */
  date: string;
  /** The underlying, or `*` for run-wide slots and the gateway. */
  symbol: string;
  /** Collection or slot type of the event that set this state. */
  type: string | null;
  run_id: string | null;
  message: string;
  /** What is still wrong under this alert (slot types, type:rule); empty once resolved. */
  items: string[];
  /** When the alert took this state (ISO 8601). */
  at: string;
  host: string;
  chainvault_version: string;
  /** One readable line, the field Slack (and most chat webhooks) display. */
  text: string;
}

export type AlertFields = Omit<AlertMessage, "text">;

/** One line a person reads on a phone: state, what, where, and the message. */
export function alertText(alert: AlertFields): string {
  const state = alert.state === "firing" ? "FIRING" : "RESOLVED";
  const where = [alert.symbol === "*" ? null : alert.symbol, alert.date, alert.type]
    .filter(Boolean)
    .join(" ");
  return `[chainvault ${alert.host}] ${state} ${alert.kind} ${where}: ${alert.message}`;
}

export function alertMessage(alert: AlertFields): AlertMessage {
  return { ...alert, text: alertText(alert) };
}

/** Subject line of an alert email: what and where, without the message. */
export function alertSubject(alert: AlertMessage): string {
  const where = [alert.symbol === "*" ? null : alert.symbol, alert.date].filter(Boolean).join(" ");
  return `[chainvault] ${alert.state === "firing" ? "FIRING" : "RESOLVED"} ${alert.kind} ${where}`;
}
