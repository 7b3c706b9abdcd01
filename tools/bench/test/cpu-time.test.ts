import { describe, expect, it } from "vitest";
import { cpuMicrosBetween, cpuMicrosPerCall, processCpuTime } from "../src/cpu-time.js";

describe("CPU time per call, of a server or of a client process", () => {
  it("is the user plus system time between two readings divided by the calls completed", () => {
    const before = { userMicros: 1_000_000, systemMicros: 200_000 };
    const after = { userMicros: 1_600_000, systemMicros: 400_000 };
    expect(cpuMicrosBetween(before, after)).toBe(800_000);
    expect(cpuMicrosPerCall(before, after, 10_000)).toBe(80);
  });

  it("counts system time as well as user time", () => {
    const before = { userMicros: 500, systemMicros: 0 };
    const after = { userMicros: 500, systemMicros: 3_000 };
    expect(cpuMicrosPerCall(before, after, 100)).toBe(30);
  });

  it("is NaN, not infinite or zero, when no call completed", () => {
    const reading = { userMicros: 10, systemMicros: 10 };
    expect(cpuMicrosPerCall(reading, { userMicros: 90, systemMicros: 10 }, 0)).toBeNaN();
  });

  it("reads this process's CPU time in microseconds", () => {
    const before = processCpuTime();
    const started = performance.now();
    let spin = 0;
    while (performance.now() - started < 50) spin++;
    const wallMicros = (performance.now() - started) * 1000;
    const used = cpuMicrosBetween(before, processCpuTime());
    expect(spin).toBeGreaterThan(0);
    // 50 ms of spinning is tens of thousands of microseconds, far from milliseconds or nanoseconds.
    expect(used).toBeGreaterThan(1_000);
    expect(used).toBeLessThan(wallMicros * 4);
  });
});
