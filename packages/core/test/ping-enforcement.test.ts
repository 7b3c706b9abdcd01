import { describe, expect, it } from "vitest";
import { PingEnforcement } from "../src/transport/ping-enforcement.js";

const minute = 60_000;

/** Feeds PINGs at the given times (ms) and returns the verdict of each. */
function verdicts(policy: { minTimeMs: number; permitWithoutCalls: boolean }, pings: { at: number; streams: number; forgiven?: boolean }[]): boolean[] {
  const enforcement = new PingEnforcement(policy);
  return pings.map((p) => enforcement.onPing(p.at, p.streams, p.forgiven ?? false));
}

describe("ping enforcement", () => {
  it("disconnects a client on its third ping sooner than minTimeMs, not before", () => {
    const at = [0, 1000, 2000, 3000].map((t) => ({ at: t, streams: 1 }));
    expect(verdicts({ minTimeMs: 5 * minute, permitWithoutCalls: false }, at)).toEqual([false, false, false, true]);
  });

  it("accepts pings no closer together than minTimeMs during calls", () => {
    const at = [0, 1, 2, 3, 4, 5].map((i) => ({ at: i * 5 * minute, streams: 2 }));
    expect(verdicts({ minTimeMs: 5 * minute, permitWithoutCalls: false }, at)).not.toContain(true);
  });

  it("without permitWithoutCalls, strikes pings with no stream open even when minTimeMs apart", () => {
    const at = [0, 1, 2, 3].map((i) => ({ at: i * 10 * minute, streams: 0 }));
    expect(verdicts({ minTimeMs: 5 * minute, permitWithoutCalls: false }, at)).toEqual([false, false, false, true]);
  });

  it("with permitWithoutCalls, pings with no stream open only need to be minTimeMs apart", () => {
    const at = [0, 1, 2, 3].map((i) => ({ at: i * 10 * minute, streams: 0 }));
    expect(verdicts({ minTimeMs: 5 * minute, permitWithoutCalls: true }, at)).not.toContain(true);
  });

  it("headers or data sent since the last ping forgive the strikes so far", () => {
    const policy = { minTimeMs: 5 * minute, permitWithoutCalls: false };
    const pings = [
      { at: 0, streams: 1 },
      { at: 10, streams: 1 },
      { at: 20, streams: 1 },
      { at: 30, streams: 1, forgiven: true },
      { at: 40, streams: 1 },
      { at: 50, streams: 1 },
      { at: 60, streams: 1 },
    ];
    expect(verdicts(policy, pings)).toEqual([false, false, false, false, false, false, true]);
  });
});
