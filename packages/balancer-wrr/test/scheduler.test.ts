/** The EDF scheduler and when weighted_round_robin falls back to round robin (gRFC A58). */
import { describe, expect, it } from "vitest";
import { EdfScheduler, type Scheduler } from "../src/edf-scheduler.js";
import { RoundRobinScheduler, schedulerFor } from "../src/scheduler.js";

function take(s: Scheduler, n: number): number[] {
  return Array.from({ length: n }, () => s.next());
}

function counts(picks: number[], n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const i of picks) c[i]++;
  return c;
}

describe("EDF scheduler", () => {
  it("picks the entry due soonest; equal deadlines go in the order they were queued", () => {
    // Periods 1, 1/2 and 1/4 are exact in binary, so every tie is a real tie.
    const s = new EdfScheduler([1, 2, 4]);
    // Due: c 0.25, b 0.5, c 0.5 (queued after b), c 0.75, then a, b, c all at 1 in queue order.
    expect(take(s, 14)).toEqual([2, 1, 2, 2, 0, 1, 2, 2, 1, 2, 2, 0, 1, 2]);
  });

  it("is deterministic: the same weights give the same sequence", () => {
    expect(take(new EdfScheduler([3, 1.5, 7.25]), 500)).toEqual(take(new EdfScheduler([3, 1.5, 7.25]), 500));
  });

  it("picks each entry in proportion to its weight", () => {
    const weights = [1, 2.5, 7.3, 0.2];
    const total = weights.reduce((a, b) => a + b);
    const n = 110_000;
    const c = counts(take(new EdfScheduler(weights), n), weights.length);
    // EDF keeps every count within one pick per entry of its exact share.
    weights.forEach((w, i) => expect(Math.abs(c[i] - (n * w) / total)).toBeLessThanOrEqual(weights.length));
  });

  it("spreads a light entry's picks evenly between a heavy one's", () => {
    const picks = take(new EdfScheduler([1, 9]), 1_000);
    // Every run of ten consecutive picks from the start of a cycle holds the light entry exactly once.
    for (let at = 0; at < picks.length; at += 10) expect(picks.slice(at, at + 10).filter((i) => i === 0)).toHaveLength(1);
  });

  it("starts an entry a part of its period early by its start offset, without changing its share", () => {
    // Without offsets the heaviest entry goes first; a goes first when it starts 90% of its period early.
    expect(take(new EdfScheduler([1, 2, 4]), 1)).toEqual([2]);
    const s = new EdfScheduler([1, 2, 4], [0.9, 0, 0]);
    expect(s.next()).toBe(0);
    expect(counts(take(s, 7_000 - 1), 3).map((c, i) => c + (i === 0 ? 1 : 0))).toEqual([1_000, 2_000, 4_000]);
  });

  it("refuses a weight that is not positive and finite", () => {
    expect(() => new EdfScheduler([1, 0])).toThrow(/weight 1 is 0/);
    expect(() => new EdfScheduler([Number.NaN])).toThrow(/positive and finite/);
    expect(() => new EdfScheduler([])).toThrow(/at least one entry/);
    expect(() => new EdfScheduler([1, 2], [0, 1])).toThrow(/start offset 1 is 1/);
  });
});

describe("the scheduler weighted_round_robin picks with", () => {
  it("goes round robin, from a random start, while no weight is known", () => {
    const s = schedulerFor([0, 0, 0], () => 0.5);
    expect(s).toBeInstanceOf(RoundRobinScheduler);
    expect(take(s, 6)).toEqual([1, 2, 0, 1, 2, 0]);
  });

  it("goes round robin while only one backend's weight is known", () => {
    const s = schedulerFor([0, 50, 0], () => 0);
    expect(s).toBeInstanceOf(RoundRobinScheduler);
    expect(counts(take(s, 300), 3)).toEqual([100, 100, 100]);
  });

  it("goes round robin over a single backend", () => {
    expect(take(schedulerFor([7], () => 0), 3)).toEqual([0, 0, 0]);
  });

  it("weighs by EDF once two weights are known, giving an unknown weight the mean of the known ones", () => {
    const s = schedulerFor([2, 0, 6], () => 0);
    expect(s).toBeInstanceOf(EdfScheduler);
    // The unknown weight becomes (2 + 6) / 2 = 4: picks go 2:4:6.
    expect(counts(take(s, 1_200), 3)).toEqual([200, 400, 600]);
  });

  it("starts each EDF schedule at a random point, so a picker rebuilt before every call still reaches the light backends", () => {
    // 600 schedules over weights 1:2:3, one pick from each. Were every schedule to start
    // the same way, all 600 would go to the heaviest backend.
    const first = counts(
      Array.from({ length: 600 }, () => schedulerFor([1, 2, 3]).next()),
      3,
    );
    expect(first[0]).toBeGreaterThan(30);
    expect(first[1]).toBeGreaterThan(30);
    expect(first[2]).toBeLessThan(600);
  });
});
