import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { toEt } from "../calendar/index.ts";
import { partCollectionKey, runPart, settleParts } from "../collect/part-run.ts";
import type { PartResult } from "../collect/part-run.ts";
import type { Config } from "../config/schema.ts";
import type { PartJob } from "../core/collection.ts";
import { errorMessage } from "../core/errors.ts";
import type { EventSink } from "../core/events.ts";
import { selectGateway } from "../core/gateways.ts";
import { newRunId } from "../core/run-id.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import { probeGateway } from "../ib/reachable.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { SlotQueue } from "./queue.ts";

/**
 * A process's share of the split collections (`chainvault worker`, or a daemon with a gateway): it takes parts
 * from the queue while its gateway (the configuration's first, i.e. the one --gateway names) accepts
 * connections. Before it takes any, and again after losing the gateway, it asks whether the gateway accepts a
 * socket: while it does not, the worker takes no part (a part it could only fail would burn a retry another
 * gateway could use) and reports `gateway_unreachable` naming its gateway, once per outage. A gateway lost in
 * the middle of a part hands the part back to the queue; a stop does the same (the part resumes elsewhere with
 * the contracts not yet stored).
 */
export interface PartWorkerOptions {
  db: Database;
  config: Config;
  logger: Logger;
  events: EventSink;
  queue: SlotQueue;
  /** Between two looks at an unreachable gateway; default 2 s. */
  probeIntervalMs?: number;
  /** Told of every part this worker finished or handed back. */
  onPart?: (part: PartJob, outcome: PartResult | { status: "handed back"; error: string }) => void;
}

export class PartWorker {
  readonly gateway: string;
  readonly name: string;
  readonly #options: PartWorkerOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #beat: NodeJS.Timeout | undefined;
  partsDone = 0;
  /** When the worker's event loop last went round (a timer every few seconds): what /healthz judges. */
  lastLoopAt: Date | null = null;

  constructor(options: PartWorkerOptions) {
    this.#options = options;
    this.gateway = selectGateway(options.config).name;
    this.name = `${os.hostname()}:${process.pid}:${this.gateway}`;
  }

  start(): void {
    this.lastLoopAt = new Date();
    this.#beat ??= setInterval(() => (this.lastLoopAt = new Date()), 5_000);
    this.#beat.unref();
    this.#loop ??= this.#run().catch((error: unknown) =>
      this.#options.logger.error({ err: errorMessage(error) }, "the part worker stopped"),
    );
  }

  /** Stops taking parts; a part in flight is handed back (it resumes elsewhere). */
  async stop(reason = "a stop request"): Promise<void> {
    if (!this.#stop.signal.aborted) this.#stop.abort(reason);
    clearInterval(this.#beat);
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { config, logger, events } = this.#options;
    const gateway = selectGateway(config);
    const stopped = this.#stop.signal;
    let outage: string | null = null;
    while (!stopped.aborted) {
      // A socket first (costs the gateway nothing), then the API handshake: either failing pauses the worker.
      let ib: IbClient | null = null;
      let failure: unknown = null;
      try {
        await probeGateway(gateway.host, gateway.port, 3_000);
        ib = await IbClient.connect(clientOptionsFromConfig(config, logger, events));
      } catch (error) {
        failure = error;
      }
      if (ib === null) {
        if (outage === null) {
          outage = newRunId();
          logger.warn(
            { gateway: gateway.name, err: errorMessage(failure) },
            "the gateway is unreachable: taking no parts until it answers",
          );
          events.emit({
            kind: "gateway_unreachable",
            date: toEt(new Date()).date,
            symbol: "*",
            type: "parts",
            runId: outage,
            error: errorMessage(failure),
            gateway: gateway.name,
          });
        }
        await sleep(this.#options.probeIntervalMs ?? 2_000, undefined, { signal: stopped }).catch(
          () => undefined,
        );
        continue;
      }
      if (outage !== null) events.emit({ kind: "gateway_reachable" });
      outage = null;
      logger.info({ gateway: gateway.name, worker: this.name }, "taking parts");
      try {
        await this.#takeParts(ib);
      } finally {
        await ib.close();
      }
    }
  }

  /** Takes parts until the gateway is lost or the worker stops. */
  async #takeParts(ib: IbClient): Promise<void> {
    const { db, config, logger, queue } = this.#options;
    const lost = new AbortController();
    const done = AbortSignal.any([lost.signal, this.#stop.signal]);
    const workerId = await queue.workParts(async (part, job) => {
      const signal = AbortSignal.any([job.signal, this.#stop.signal]);
      try {
        const result = await runPart(
          part,
          { db, ib, config, logger, worker: this.name, gateway: this.gateway },
          signal,
        );
        this.partsDone++;
        this.#options.onPart?.(part, result);
      } catch (error) {
        const message = errorMessage(error);
        if (ib.unavailable) lost.abort("gateway lost");
        logger.warn(
          { part: part.key, attempt: job.retryCount + 1, err: message },
          "part handed back to the queue",
        );
        this.#options.onPart?.(part, { status: "handed back", error: message });
        // Its last attempt failed here (not cut short by this worker's stop, which another worker resumes).
        if (job.retryCount >= queue.retryLimit && !this.#stop.signal.aborted)
          await settleParts(
            db,
            partCollectionKey(part),
            {
              index: part.index,
              planId: part.planId,
              status: "failed",
              error: `its retries ran out; last: ${message}`,
            },
            ib.now(),
          ).catch(() => undefined);
        throw error;
      }
    });
    await new Promise<void>((resolve) => {
      if (done.aborted) resolve();
      else done.addEventListener("abort", () => resolve(), { once: true });
    });
    await queue.offWorkParts(workerId);
  }
}
