import { describe, expect, it } from "vitest";
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
