import { BarSizeSetting, EventName, IBApi, WhatToShow } from "@stoqey/ib";
import type { IsoDate } from "../calendar/index.ts";
import type { Logger } from "../logger.ts";
import { byConId } from "./contract-objects.ts";
import { IbRequestError } from "./client.ts";

/**
 * Daily bars over REQ_HISTORICAL_DATA, for filling a day whose snapshot was missed. It opens a
 * short-lived connection of its own (its own client id) instead of sharing IbClient's: historical
 * requests have their own pacing (IB: about 60 per 10 minutes) and must not hold up a collection.
 * IB serves bars only for contracts that have not expired.
 */

export interface DailyBar {
  date: IsoDate;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

export interface HistoricalOptions {
  host: string;
  port: number;
  clientId: number;
  logger?: Logger;
  timeoutMs?: number;
  /** Pause between requests, to stay inside IB's historical-data pacing. */
  spacingMs?: number;
}

export interface HistoricalSession {
  /** Daily TRADES bars of one contract for the `days` trading days up to `end` (inclusive). */
  dailyBars(conId: number, end: IsoDate, days: number): Promise<DailyBar[]>;
  close(): Promise<void>;
}

function barDate(time: string): IsoDate {
  // formatDate=1 gives "yyyyMMdd" for daily bars.
  return `${time.slice(0, 4)}-${time.slice(4, 6)}-${time.slice(6, 8)}`;
}

export async function openHistoricalSession(options: HistoricalOptions): Promise<HistoricalSession> {
  const api = new IBApi({ host: options.host, port: options.port });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pending = new Map<
    number,
    { bars: DailyBar[]; resolve: (bars: DailyBar[]) => void; reject: (error: Error) => void }
  >();
  let nextReqId = 1;
  let lastRequest = 0;

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new IbRequestError(502, `no answer from ${options.host}:${options.port} for historical data`)),
      timeoutMs,
    );
    api.once(EventName.nextValidId, () => {
      clearTimeout(timer);
      resolve();
    });
    api.on(EventName.error, (error: Error, code: number, reqId: number) => {
      const request = pending.get(reqId);
      if (request) {
        pending.delete(reqId);
        request.reject(new IbRequestError(code, error.message, reqId));
      } else if (code === 502 || code === 504) {
        clearTimeout(timer);
        reject(new IbRequestError(code, error.message));
      } else {
        options.logger?.debug(
          { code, reqId, message: error.message },
          "gateway notice on the historical connection",
        );
      }
    });
    api.connect(options.clientId);
  });

  api.on(
    EventName.historicalData,
    (reqId: number, time: string, open: number, high: number, low: number, close: number, volume: number) => {
      const request = pending.get(reqId);
      if (!request) return;
      if (time.startsWith("finished")) {
        pending.delete(reqId);
        request.resolve(request.bars);
        return;
      }
      request.bars.push({ date: barDate(time), open, high, low, close, volume: volume >= 0 ? volume : null });
    },
  );

  return {
    async dailyBars(conId, end, days) {
      const wait = lastRequest + (options.spacingMs ?? 0) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastRequest = Date.now();
      const reqId = nextReqId++;
      return new Promise<DailyBar[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(reqId);
          reject(
            new IbRequestError(
              -1,
              `no historical data for conId ${conId} within ${timeoutMs} ms`,
              reqId,
              "transient",
            ),
          );
        }, timeoutMs);
        pending.set(reqId, {
          bars: [],
          resolve: (bars) => {
            clearTimeout(timer);
            resolve(bars);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        api.reqHistoricalData(
          reqId,
          byConId(conId),
          `${end.replaceAll("-", "")} 23:59:59 US/Eastern`,
          `${days} D`,
          BarSizeSetting.DAYS_ONE,
          WhatToShow.TRADES,
          1,
          1,
          false,
        );
      });
    },
    async close() {
      api.removeAllListeners(EventName.historicalData);
      api.disconnect();
    },
  };
}
