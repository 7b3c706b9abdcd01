/** LongTimer: delays past what setTimeout holds are armed in steps and still end on time. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { maxTimerMs } from "../src/index.js";
import { LongTimer } from "../src/timers/long-timer.js";

const day = 24 * 60 * 60 * 1000;

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("LongTimer", () => {
  it("a 30-day delay is armed in steps no longer than setTimeout holds, re-armed when a step fires, and fires once at 30 days", () => {
    vi.useFakeTimers();
    const armed: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms: number) => {
      armed.push(ms);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    let fired = 0;
    const timer = new LongTimer(() => fired++, 30 * day);

    vi.advanceTimersByTime(maxTimerMs);
    expect(fired).toBe(0);
    expect(timer.pending).toBe(true);
    vi.advanceTimersByTime(30 * day - maxTimerMs - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(timer.pending).toBe(false);
    expect(armed).toEqual([maxTimerMs, 30 * day - maxTimerMs]);
  });

  it("a short delay is one setTimeout; clear stops it", () => {
    vi.useFakeTimers();
    let fired = 0;
    const kept = new LongTimer(() => fired++, 50);
    const cleared = new LongTimer(() => (fired += 10), 50);
    cleared.clear();
    vi.advanceTimersByTime(49);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(kept.pending).toBe(false);
  });

  it("a timer cleared between steps never fires", () => {
    vi.useFakeTimers();
    let fired = 0;
    const timer = new LongTimer(() => fired++, 40 * day);
    vi.advanceTimersByTime(maxTimerMs + 1);
    timer.clear();
    vi.advanceTimersByTime(40 * day);
    expect(fired).toBe(0);
  });
});
