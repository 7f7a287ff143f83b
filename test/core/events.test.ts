import { describe, expect, it } from "vitest";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";

const sent: ChainvaultEvent = { kind: "ib_messages_sent", count: 3 };

describe("EventBus", () => {
  it("delivers every event to every listener and stops after unsubscribe", () => {
    const bus = new EventBus();
    const first: ChainvaultEvent[] = [];
    const second: ChainvaultEvent[] = [];
    const off = bus.on((event) => void first.push(event));
    bus.on((event) => void second.push(event));
    bus.emit(sent);
    off();
    bus.emit({ kind: "ib_error", code: 100 });
    expect(first).toEqual([sent]);
    expect(second).toEqual([sent, { kind: "ib_error", code: 100 }]);
  });

  it("keeps going when a listener throws or rejects, and settled() waits for async listeners", async () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.on(() => {
      throw new Error("sync failure");
    });
    bus.on(async () => {
      throw new Error("async failure");
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bus.on(async (event) => {
      await gate;
      if (event.kind === "ib_messages_sent") seen.push(event.count);
    });
    bus.emit(sent);
    const settled = bus.settled();
    expect(seen).toEqual([]);
    release();
    await settled;
    expect(seen).toEqual([3]);
  });
});
