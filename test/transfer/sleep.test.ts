// The retry loops sleep many times on one long-lived signal (a sync's, a download's): every
// wait must take its abort listener away when it ends, or an eleventh wait warns
// MaxListenersExceededWarning and the listeners pile up for the life of the signal.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep } from "../../src/transfer/index.js";

describe("sleep on a long-lived signal", () => {
  it("leaves no abort listener behind after each wait, and no warning after twelve", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const signal = new AbortController().signal;
      for (let i = 0; i < 12; i++) await sleep(1, signal);
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      // Warnings are emitted on the next tick: give one a chance to arrive.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("still ends early with the signal's reason when it aborts", async () => {
    const ac = new AbortController();
    const waiting = sleep(60_000, ac.signal);
    ac.abort(new Error("network lost"));
    await expect(waiting).rejects.toThrow("network lost");
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});
