import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.ts";
import { DatabaseOutage, DatabaseOutageError } from "../../src/store/outage.ts";
import { isDatabaseUnavailable } from "../../src/store/unavailable.ts";
import { capturedLog } from "../helpers/captured-log.ts";

/** A clock whose sleeps pass at once and move it forward: backoff schedules can be read off `slept`. */
class SteppingClock implements Clock {
  readonly slept: number[] = [];
  #now = Date.parse("2026-03-09T20:45:00Z");
  now(): Date {
    return new Date(this.#now);
  }
  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.#now += ms;
    return Promise.resolve();
  }
}

/** A clock whose sleepers wait until the test releases them. */
class GatedClock implements Clock {
  #now = Date.parse("2026-03-09T20:45:00Z");
  #waiting: (() => void)[] = [];
  get sleepers(): number {
    return this.#waiting.length;
  }
  now(): Date {
    return new Date(this.#now);
  }
  sleep(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    this.#now += 1_000;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

function errorWith(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

const refused = (): Error => errorWith("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432");

describe("isDatabaseUnavailable", () => {
  it.each([
    ["a refused connection", refused()],
    ["a reset connection", errorWith("ECONNRESET", "read ECONNRESET")],
    [
      "an administrator shutdown (57P01)",
      errorWith("57P01", "terminating connection due to administrator command"),
    ],
    ["a server starting up (57P03)", errorWith("57P03", "the database system is starting up")],
    ["a connection exception (08006)", errorWith("08006", "connection failure")],
    ["a connection cut by node-postgres", new Error("Connection terminated unexpectedly")],
    ["a connect timeout", new Error("timeout exceeded when trying to connect")],
    ["a refused connect to every address", new AggregateError([refused(), refused()], "")],
    ["a refused connection as the cause", new Error("cannot connect", { cause: refused() })],
    // pg-boss emits its errors spread into a plain object.
    ["pg-boss's copy of a refused connection", { ...refused(), message: "connect ECONNREFUSED" }],
  ])("is true for %s", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", errorWith("23505", "duplicate key value violates unique constraint")],
    ["an invalid input", errorWith("22P02", "invalid input syntax for type integer")],
    ["a missing table", errorWith("42P01", "relation does not exist")],
    ["a disk-full server that answers", errorWith("53100", "could not extend file")],
    ["a plain error", new Error("something else")],
    ["a string", "ECONNREFUSED"],
    ["nothing", undefined],
  ])("is false for %s", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe("DatabaseOutage", () => {
  it("waits an outage out with backoff, logging one warning and one recovery line", async () => {
    const clock = new SteppingClock();
    const log = capturedLog();
    const outage = new DatabaseOutage({ logger: log.logger, clock, maxOutageMs: 60_000 });
    let attempts = 0;
    const result = await outage.retry(async () => {
      attempts++;
      if (attempts <= 6) throw refused();
      return "stored";
    });
    expect(result).toBe("stored");
    expect(clock.slept).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect(log.matching(/database unreachable since 2026-03-09T20:45:00.000Z, retrying/)).toHaveLength(1);
    expect(log.matching(/database reachable again after 7.8 s/)).toHaveLength(1);
    expect(outage.active).toBe(false);
  });

  it("gives up once the outage is older than the limit, and then after one attempt", async () => {
    const clock = new SteppingClock();
    const log = capturedLog();
    const outage = new DatabaseOutage({ logger: log.logger, clock, maxOutageMs: 5_000 });
    const failing = async (): Promise<never> => {
      throw refused();
    };
    const error = await outage.retry(failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseOutageError);
    expect((error as DatabaseOutageError).message).toMatch(
      /unreachable since 2026-03-09T20:45:00.000Z, longer than collect.max_db_outage_seconds \(5 s\): connect ECONNREFUSED/,
    );
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBe(5_000);
    // The outage goes on: the next operation is tried once, not waited for again.
    let attempts = 0;
    await expect(
      outage.retry(async () => {
        attempts++;
        throw refused();
      }),
    ).rejects.toBeInstanceOf(DatabaseOutageError);
    expect(attempts).toBe(1);
    expect(log.matching(/database unreachable since/)).toHaveLength(1);
  });

  it("throws a statement's own error at once, without calling it an outage", async () => {
    const log = capturedLog();
    const outage = new DatabaseOutage({
      logger: log.logger,
      clock: new SteppingClock(),
      maxOutageMs: 60_000,
    });
    let attempts = 0;
    await expect(
      outage.retry(async () => {
        attempts++;
        throw errorWith("23505", "duplicate key");
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(attempts).toBe(1);
    expect(outage.active).toBe(false);
    expect(log.lines).toEqual([]);
  });

  it("counts operations waiting at once as one outage", async () => {
    const clock = new GatedClock();
    const log = capturedLog();
    const outage = new DatabaseOutage({ logger: log.logger, clock, maxOutageMs: 60_000 });
    let down = true;
    const operation = async (): Promise<string> => {
      if (down) throw refused();
      return "ok";
    };
    const waiting = [outage.retry(operation), outage.retry(operation), outage.retry(operation)];
    await expect.poll(() => clock.sleepers, { timeout: 5_000 }).toBe(3);
    expect(outage.active).toBe(true);
    down = false;
    clock.release();
    expect(await Promise.all(waiting)).toEqual(["ok", "ok", "ok"]);
    expect(log.matching(/database unreachable since/)).toHaveLength(1);
    expect(log.matching(/database reachable again/)).toHaveLength(1);
  });

  it("does not take an answer to a request sent before the outage as its end", () => {
    const clock = new SteppingClock();
    const log = capturedLog();
    const outage = new DatabaseOutage({ logger: log.logger, clock, maxOutageMs: 60_000 });
    const before = clock.now();
    void clock.sleep(10);
    outage.noteFailure(refused());
    outage.noteSuccess(before);
    expect(outage.active).toBe(true);
    outage.noteSuccess(clock.now());
    expect(outage.active).toBe(false);
  });

  it("probes in the background until the database answers, and stops probing when closed", async () => {
    const log = capturedLog();
    let probes = 0;
    const outage = new DatabaseOutage({
      logger: log.logger,
      maxOutageMs: 60_000,
      initialDelayMs: 1,
      maxDelayMs: 2,
      probe: async () => {
        probes++;
        if (probes < 3) throw refused();
      },
    });
    expect(outage.noteFailure(refused())).toBe(true);
    await expect.poll(() => outage.active, { timeout: 5_000 }).toBe(false);
    expect(probes).toBe(3);
    expect(log.matching(/database reachable again/)).toHaveLength(1);

    const before = probes;
    outage.noteFailure(refused());
    await outage.close();
    expect(outage.active).toBe(true);
    expect(probes).toBe(before);
  });
});
