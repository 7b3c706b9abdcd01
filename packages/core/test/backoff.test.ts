import { describe, expect, it } from "vitest";
import { Backoff } from "../src/timers/backoff.js";

describe("connection backoff (doc/connection-backoff.md)", () => {
  it("starts at 1 s and grows by 1.6 up to 120 s when jitter is neutral", () => {
    const b = new Backoff({}, () => 0.5);
    const delays = Array.from({ length: 14 }, () => b.next());
    expect(delays.slice(0, 4)).toEqual([1000, 1600, 2560, 4096]);
    expect(Math.max(...delays)).toBe(120_000);
  });

  it("jitter spreads each delay by at most 20%", () => {
    expect(new Backoff({}, () => 0).next()).toBe(800);
    expect(new Backoff({}, () => 0.999999).next()).toBe(1200);
  });

  it("reset starts again from the base delay", () => {
    const b = new Backoff({ baseDelayMs: 100 }, () => 0.5);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });

  it("gives each attempt at least the minimum connect timeout of 20 s", () => {
    expect(new Backoff().minConnectTimeoutMs).toBe(20_000);
  });
});
