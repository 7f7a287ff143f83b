import os from "node:os";
import { errorMessage } from "../core/errors.ts";
import { toEt } from "../calendar/index.ts";
import { CHAINVAULT_VERSION } from "../core/version.ts";
import { scrubSecrets } from "./channels.ts";
import type { AlertChannel } from "./channels.ts";
import { alertMessage } from "./message.ts";

export interface ChannelTestResult {
  name: string;
  type: AlertChannel["type"];
  ok: boolean;
  /** Why the channel refused, secrets scrubbed. */
  error?: string;
  ms: number;
}

/**
 * `chainvault alerts test`: one test alert to every channel at once, one try each (a person is waiting
 * for the answer), nothing recorded in the database.
 */
export async function sendTestAlert(
  channels: readonly AlertChannel[],
  now: Date = new Date(),
): Promise<ChannelTestResult[]> {
  const message = alertMessage({
    kind: "test",
    state: "firing",
    date: toEt(now).date,
    symbol: "*",
    type: null,
    run_id: null,
    message: "a test alert from `chainvault alerts test`: this channel works",
    items: [],
    at: now.toISOString(),
    host: os.hostname(),
    chainvault_version: CHAINVAULT_VERSION,
  });
  const secrets = channels.flatMap((channel) => channel.secrets);
  return Promise.all(
    channels.map(async (channel): Promise<ChannelTestResult> => {
      const started = performance.now();
      try {
        await channel.send(message);
        return {
          name: channel.name,
          type: channel.type,
          ok: true,
          ms: Math.round(performance.now() - started),
        };
      } catch (error) {
        return {
          name: channel.name,
          type: channel.type,
          ok: false,
          error: scrubSecrets(errorMessage(error), secrets),
          ms: Math.round(performance.now() - started),
        };
      }
    }),
  );
}
