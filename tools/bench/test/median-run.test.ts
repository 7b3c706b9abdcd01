import { describe, expect, it } from "vitest";
import { medianRun } from "../src/median-run.js";

describe("medianRun", () => {
  it("keeps the run with the middle throughput, whatever the order", () => {
    const runs = [{ rps: 20_000 }, { rps: 34_000 }, { rps: 31_000 }];
    expect(medianRun(runs, (r) => r.rps)).toEqual({ rps: 31_000 });
  });

  it("keeps the lower middle run of an even count, and the only run of one", () => {
    expect(medianRun([{ rps: 4 }, { rps: 1 }, { rps: 3 }, { rps: 2 }], (r) => r.rps)).toEqual({ rps: 2 });
    expect(medianRun([{ rps: 7 }], (r) => r.rps)).toEqual({ rps: 7 });
    expect(medianRun([], (r: { rps: number }) => r.rps)).toBeUndefined();
  });
});
