import { describe, expect, it } from "vitest";
import { keepaliveLimits, resolveClientKeepalive, resolveEnforcement, resolveServerKeepalive, withJitter } from "../src/transport/keepalive-options.js";

describe("keepalive options", () => {
  it("client keepalive is off by default, with a 20 s timeout and no pings without calls", () => {
    expect(resolveClientKeepalive(undefined, keepaliveLimits)).toEqual({ timeMs: Infinity, timeoutMs: 20_000, permitWithoutCalls: false });
  });

  it("a client keepalive time below 10 s is raised to 10 s", () => {
    expect(resolveClientKeepalive({ timeMs: 200 }, keepaliveLimits).timeMs).toBe(10_000);
    expect(resolveClientKeepalive({ timeMs: 30_000 }, keepaliveLimits).timeMs).toBe(30_000);
  });

  it("the server pings after 2 h by default, at most every second, and manages no connection age or idleness", () => {
    expect(resolveServerKeepalive(undefined, keepaliveLimits)).toEqual({
      timeMs: 2 * 60 * 60 * 1000,
      timeoutMs: 20_000,
      maxConnectionIdleMs: Infinity,
      maxConnectionAgeMs: Infinity,
      maxConnectionAgeGraceMs: Infinity,
    });
    expect(resolveServerKeepalive({ timeMs: 10 }, keepaliveLimits).timeMs).toBe(1000);
  });

  it("enforcement allows one ping per 5 min, and none without calls, by default", () => {
    expect(resolveEnforcement(undefined)).toEqual({ minTimeMs: 5 * 60 * 1000, permitWithoutCalls: false });
  });

  it("a negative, zero or NaN duration is refused with a message naming the option", () => {
    expect(() => resolveClientKeepalive({ timeMs: -1 }, keepaliveLimits)).toThrow(/keepalive.timeMs/);
    expect(() => resolveClientKeepalive({ timeoutMs: Number.NaN }, keepaliveLimits)).toThrow(/keepalive.timeoutMs/);
    expect(() => resolveServerKeepalive({ maxConnectionAgeMs: 0 }, keepaliveLimits)).toThrow(/maxConnectionAgeMs/);
  });

  it("max connection age is jittered by at most 10% either way", () => {
    const samples = Array.from({ length: 1000 }, () => withJitter(10_000));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(9_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(11_000);
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(1_000);
  });
});
