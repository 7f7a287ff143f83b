import { afterEach, describe, expect, it, vi } from "vitest";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { RequestPacer } from "../../src/ib/pacer.ts";

describe("RequestPacer", () => {
  it("spaces messages evenly (at most rate + 2 in any second, exact long-run rate) and sends cancels first", async () => {
    const pacer = new RequestPacer({ messagesPerSecond: 20, lines: 5 });
    const sent: Array<{ at: number; kind: string }> = [];
    const work: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) work.push(pacer.send(() => sent.push({ at: Date.now(), kind: "req" })));
    work.push(pacer.send(() => sent.push({ at: Date.now(), kind: "cancel" }), "high"));
    await Promise.all(work);
    expect(sent).toHaveLength(31);
    for (const message of sent) {
      const inWindow = sent.filter((other) => other.at >= message.at && other.at < message.at + 1000);
      expect(inWindow.length).toBeLessThanOrEqual(22);
    }
    // 31 messages at 20/s: the last goes out 1.5 s after the first (one interval of tolerance at the start).
    expect(sent.at(-1)!.at - sent[0]!.at).toBeGreaterThanOrEqual(1400);
    // The cancel was queued after two requests had gone out, and jumps the 28 still waiting.
    expect(sent.findIndex((message) => message.kind === "cancel")).toBe(2);
    expect(pacer.messagesSent).toBe(31);
  });

  it("reports each message that went out to its event sink, and none that failed to", async () => {
    const bus = new EventBus();
    const events: ChainvaultEvent[] = [];
    bus.on((event) => void events.push(event));
    const pacer = new RequestPacer({ messagesPerSecond: 1000, lines: 5, events: bus });
    await Promise.all([pacer.send(() => undefined), pacer.send(() => undefined, "high")]);
    await expect(
      pacer.send(() => {
        throw new Error("not connected");
      }),
    ).rejects.toThrow("not connected");
    expect(events).toEqual([
      { kind: "ib_messages_sent", count: 1 },
      { kind: "ib_messages_sent", count: 1 },
    ]);
  });

  it("holds requests beyond the line limit until a line is released", async () => {
    const pacer = new RequestPacer({ messagesPerSecond: 1000, lines: 2 });
    await pacer.acquireLine();
    await pacer.acquireLine();
    let third = false;
    const waiting = pacer.acquireLine().then(() => {
      third = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(third).toBe(false);
    expect(pacer.linesHeld).toBe(2);
    pacer.releaseLine();
    await waiting;
    expect(third).toBe(true);
    expect(pacer.linesHeld).toBe(2);
    pacer.releaseLine();
    pacer.releaseLine();
    expect(pacer.linesHeld).toBe(0);
  });

  it("rejects what is queued when the connection is gone", async () => {
    const pacer = new RequestPacer({ messagesPerSecond: 1, lines: 1 });
    await pacer.send(() => undefined);
    await pacer.send(() => undefined);
    const queued = pacer.send(() => undefined);
    pacer.failQueued(new Error("gone"));
    await expect(queued).rejects.toThrow("gone");
  });
});

describe("RequestPacer adapts to a slower gateway (AIMD)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function clockAt(start = 0): { now: () => number; advance: (ms: number) => void } {
    let time = start;
    return { now: () => time, advance: (ms) => (time += ms) };
  }

  it("halves the rate on error 100, at most once a second, never below the floor", () => {
    const clock = clockAt(10_000);
    const pacer = new RequestPacer({
      messagesPerSecond: 45,
      lines: 5,
      now: clock.now,
      increasePerSecond: 0.5,
    });
    expect(pacer.messagesPerSecond).toBe(45);
    expect(pacer.slowDown()).toBe(22.5);
    // A second warning within the second is still about the old rate.
    clock.advance(400);
    expect(pacer.slowDown()).toBeUndefined();
    expect(pacer.messagesPerSecond).toBeCloseTo(22.5 + 0.2, 6);
    clock.advance(600);
    expect(pacer.slowDown()).toBeCloseTo((22.5 + 0.5) / 2, 6);
    expect(pacer.slowDowns).toBe(2);
    for (let i = 0; i < 20; i++) {
      clock.advance(1000);
      pacer.slowDown();
    }
    expect(pacer.messagesPerSecond).toBeGreaterThanOrEqual(1);
    expect(pacer.messagesPerSecond).toBeLessThan(1.6);
  });

  it("raises the rate additively back to the configured ceiling, and no further", () => {
    const clock = clockAt();
    const pacer = new RequestPacer({ messagesPerSecond: 40, lines: 5, now: clock.now, increasePerSecond: 1 });
    pacer.slowDown();
    expect(pacer.messagesPerSecond).toBe(20);
    clock.advance(5000);
    expect(pacer.messagesPerSecond).toBeCloseTo(25, 6);
    clock.advance(10_000);
    expect(pacer.messagesPerSecond).toBeCloseTo(35, 6);
    clock.advance(60_000);
    expect(pacer.messagesPerSecond).toBe(40);
  });

  it("rises by 1 % of the ceiling per second unless told otherwise", () => {
    const clock = clockAt();
    const pacer = new RequestPacer({ messagesPerSecond: 50, lines: 5, now: clock.now });
    pacer.slowDown();
    clock.advance(10_000);
    expect(pacer.messagesPerSecond).toBeCloseTo(25 + 5, 6);
  });

  it("spaces messages at the lowered rate after error 100 (fake timers, the pacer on their clock)", async () => {
    vi.useFakeTimers();
    const pacer = new RequestPacer({
      messagesPerSecond: 10,
      lines: 5,
      now: () => Date.now(),
      increasePerSecond: 0.000_001,
    });
    const start = Date.now();
    pacer.slowDown();
    const sentAt: number[] = [];
    const sending = Promise.all(
      Array.from({ length: 6 }, () => pacer.send(() => sentAt.push(Date.now() - start))),
    );
    await vi.advanceTimersByTimeAsync(5000);
    await sending;
    // Nothing during the one-second hold, then one message every 200 ms (5/s), the first one early.
    expect(sentAt[0]).toBeGreaterThanOrEqual(1000);
    const gaps = sentAt.slice(2).map((at, index) => at - sentAt[index + 1]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(199);
    expect(sentAt.at(-1)! - sentAt[1]!).toBeLessThanOrEqual(4 * 200 + 5);
  });

  it("on error 101 the budget becomes the lines the gateway granted; a new connection restores it", async () => {
    const pacer = new RequestPacer({ messagesPerSecond: 1000, lines: 10 });
    for (let i = 0; i < 7; i++) await pacer.acquireLine();
    // The seventh request was refused: six lines are what the gateway has for us.
    expect(pacer.shrinkLines()).toBe(6);
    expect(pacer.lines).toBe(6);
    expect(pacer.lineShrinks).toBe(1);
    pacer.releaseLine(); // the refused request's line
    let granted = false;
    const waiting = pacer.acquireLine().then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    pacer.releaseLine();
    await waiting;
    expect(granted).toBe(true);
    expect(pacer.linesHeld).toBe(6);
    pacer.restoreLines();
    expect(pacer.lines).toBe(10);
    await pacer.acquireLine();
    expect(pacer.linesHeld).toBe(7);
  });
});
