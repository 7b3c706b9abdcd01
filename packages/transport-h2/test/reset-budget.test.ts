import { describe, expect, it } from "vitest";
import { ResetBudget } from "../src/reset-budget.js";

describe("ResetBudget", () => {
  it("allows `perSecond` resets at once, then refuses until time refills it", () => {
    const budget = new ResetBudget(10, 0);
    for (let i = 0; i < 10; i++) expect(budget.take(0)).toBe(true);
    expect(budget.take(0)).toBe(false);
    // 100 ms refill a tenth of the budget: one reset.
    expect(budget.take(100)).toBe(true);
    expect(budget.take(100)).toBe(false);
  });

  it("refills at most to `perSecond`, however long it rests", () => {
    const budget = new ResetBudget(10, 0);
    let taken = 0;
    while (budget.take(60_000)) taken++;
    expect(taken).toBe(10);
  });

  it("gets one reset back for each completed stream, up to `perSecond`", () => {
    const budget = new ResetBudget(3, 0);
    for (let i = 0; i < 3; i++) budget.take(0);
    expect(budget.take(0)).toBe(false);
    budget.refund();
    budget.refund();
    expect(budget.take(0)).toBe(true);
    expect(budget.take(0)).toBe(true);
    expect(budget.take(0)).toBe(false);
    for (let i = 0; i < 10; i++) budget.refund();
    let taken = 0;
    while (budget.take(0)) taken++;
    expect(taken).toBe(3);
  });

  it("with Infinity never refuses", () => {
    const budget = new ResetBudget(Infinity, 0);
    for (let i = 0; i < 100_000; i++) expect(budget.take(0)).toBe(true);
  });
});
