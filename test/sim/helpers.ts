import type { EventEmitter } from "node:events";
import { EventName, IBApi, IBApiNext } from "@stoqey/ib";
import { expect } from "vitest";
import { startSimulator, type SimOptions, type Simulator } from "../../src/sim/server.ts";

export interface ClientError {
  code: number;
  reqId: number;
  message: string;
}

type Listener = Parameters<EventEmitter["on"]>[1];

/** IBApi's typed overloads do not accept a variable event name; its runtime is a plain EventEmitter. */
export function emitterOf(api: IBApi): EventEmitter {
  return api as unknown as EventEmitter;
}

/** A connected IBApi client that records every error and info message it receives. */
export interface TestClient {
  api: IBApi;
  errors: ClientError[];
  infos: { code: number; message: string }[];
  /** Fails the test if the client reported any decode error (505). */
  assertNoDecodeErrors(): void;
  close(): void;
}

/** A simulator on a free port, started at a fixed New York date/time (a Wednesday, mid-session) unless overridden. */
export function simulator(options: SimOptions = {}): Promise<Simulator> {
  return startSimulator({ port: 0, seed: 7, start: { date: "2026-01-14", timeEt: "11:00" }, ...options });
}

export async function connect(
  sim: Simulator,
  clientId: number,
  options: { maxReqPerSec?: number } = {},
): Promise<TestClient> {
  const api = new IBApi({
    host: sim.host,
    port: sim.port,
    clientId,
    maxReqPerSec: options.maxReqPerSec ?? 1000,
  });
  const errors: ClientError[] = [];
  const infos: { code: number; message: string }[] = [];
  api.on(EventName.error, (error: Error, code: number, reqId: number) =>
    errors.push({ code, reqId, message: error.message }),
  );
  api.on(EventName.info, (message: string, code: number) => infos.push({ code, message }));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no nextValidId within 5 s")), 5000);
    api.once(EventName.nextValidId, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  api.connect(clientId);
  await ready;
  return {
    api,
    errors,
    infos,
    assertNoDecodeErrors() {
      expect(errors.filter((error) => error.code === 505)).toEqual([]);
    },
    close() {
      api.disconnect();
    },
  };
}

export function connectNext(sim: Simulator, clientId: number): { next: IBApiNext; errors: ClientError[] } {
  const next = new IBApiNext({ host: sim.host, port: sim.port, maxReqPerSec: 1000, reconnectInterval: 0 });
  const errors: ClientError[] = [];
  next.errorSubject.subscribe((error) =>
    errors.push({ code: error.code, reqId: error.reqId, message: error.error.message }),
  );
  next.connect(clientId);
  return { next, errors };
}

/** Resolves with the first `event` emission matching `predicate`, or rejects after timeoutMs. */
export function waitFor<T extends unknown[]>(
  api: IBApi,
  event: EventName,
  predicate: (...args: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitterOf(api).off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      if (!predicate(...(args as T))) return;
      clearTimeout(timer);
      emitterOf(api).off(event, listener);
      resolve(args as T);
    };
    emitterOf(api).on(event, listener);
  });
}

export function waitForError(
  client: TestClient,
  reqId: number,
  code: number,
  timeoutMs = 5000,
): Promise<ClientError> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const found = client.errors.find((error) => error.reqId === reqId && error.code === code);
      if (found) {
        clearInterval(poll);
        resolve(found);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`no error ${code} for request ${reqId}; got ${JSON.stringify(client.errors)}`));
      }
    }, 10);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() returns true (state already recorded by listeners), or fails after timeoutMs. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface CollectedTicks {
  marketDataType?: number;
  prices: Map<number, number>;
  sizes: Map<number, number>;
  generics: Map<number, number>;
  strings: Map<number, string>;
  computations: Map<
    number,
    {
      iv?: number;
      delta?: number;
      price?: number;
      gamma?: number;
      vega?: number;
      theta?: number;
      undPrice?: number;
    }
  >;
  ended: boolean;
}

/** Subscribes to every tick event of reqId; `done` resolves on TICK_SNAPSHOT_END (snapshots) or after settleMs. */
export function collectTicks(
  api: IBApi,
  reqId: number,
): { ticks: CollectedTicks; ended: Promise<void>; stop(): void } {
  const ticks: CollectedTicks = {
    prices: new Map(),
    sizes: new Map(),
    generics: new Map(),
    strings: new Map(),
    computations: new Map(),
    ended: false,
  };
  let resolveEnded = () => {};
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const listeners: [EventName, Listener][] = [
    [EventName.marketDataType, (id: number, type: number) => id === reqId && (ticks.marketDataType = type)],
    [
      EventName.tickPrice,
      (id: number, type: number, value: number) => id === reqId && ticks.prices.set(type, value),
    ],
    [
      EventName.tickSize,
      (id: number, type: number, value: number) =>
        id === reqId && value !== undefined && ticks.sizes.set(type, value),
    ],
    [
      EventName.tickGeneric,
      (id: number, type: number, value: number) => id === reqId && ticks.generics.set(type, value),
    ],
    [
      EventName.tickString,
      (id: number, type: number, value: string) => id === reqId && ticks.strings.set(type, value),
    ],
    [
      EventName.tickOptionComputation,
      (
        id: number,
        type: number,
        _attrib: number,
        iv: number,
        delta: number,
        price: number,
        _pv: number,
        gamma: number,
        vega: number,
        theta: number,
        undPrice: number,
      ) => id === reqId && ticks.computations.set(type, { iv, delta, price, gamma, vega, theta, undPrice }),
    ],
    [
      EventName.tickSnapshotEnd,
      (id: number) => {
        if (id !== reqId) return;
        ticks.ended = true;
        resolveEnded();
      },
    ],
  ];
  for (const [event, listener] of listeners) emitterOf(api).on(event, listener);
  return {
    ticks,
    ended,
    stop() {
      for (const [event, listener] of listeners) emitterOf(api).off(event, listener);
    },
  };
}
