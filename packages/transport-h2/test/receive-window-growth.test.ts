/**
 * A receive window whose size grows while data is in flight (the BDP estimator's):
 * the peer may send the difference at once, and consumed bytes are returned against
 * the new size.
 */
import { describe, expect, it } from "vitest";
import { ReceiveWindow } from "../src/flow-control.js";

describe("a receive window that grows", () => {
  it("lets the peer send the difference at once, and returns window half the new size at a time", () => {
    const w = new ReceiveWindow(65_535);
    expect(w.receive(60_000)).toBe(true);
    expect(w.growTo(262_144)).toBe(262_144 - 65_535);
    expect(w.target).toBe(262_144);
    expect(w.size).toBe(262_144 - 60_000);
    expect(w.receive(202_144)).toBe(true);
    expect(w.receive(1)).toBe(false);
    // 65,535 consumed: under half the new size, nothing goes back yet (against the old size it would have).
    expect(w.release(65_535)).toBe(0);
    expect(w.release(65_537)).toBe(131_072);
    expect(w.size).toBe(131_072);
  });

  it("never shrinks: growing to a smaller size changes nothing", () => {
    const w = new ReceiveWindow(1 << 20);
    expect(w.growTo(65_535)).toBe(0);
    expect(w.target).toBe(1 << 20);
    expect(w.size).toBe(1 << 20);
  });

  it("returns every consumed byte on demand, however few", () => {
    const w = new ReceiveWindow(65_535);
    w.receive(1000);
    expect(w.release(1000)).toBe(0);
    expect(w.returnAll()).toBe(1000);
    expect(w.returnAll()).toBe(0);
    expect(w.size).toBe(65_535);
  });
});
