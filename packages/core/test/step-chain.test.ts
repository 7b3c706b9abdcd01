import { describe, expect, it } from "vitest";
import { StepChain } from "../src/call/step-chain.js";

describe("StepChain", () => {
  it("runs a step at once when nothing is pending", () => {
    const chain = new StepChain();
    const seen: number[] = [];
    chain.run(() => seen.push(1));
    expect(seen).toEqual([1]);
    expect(chain.pending).toBe(false);
  });

  it("holds later steps until an async step's promise settles, in order", async () => {
    const chain = new StepChain();
    const seen: string[] = [];
    let release!: () => void;
    chain.add(() => new Promise<void>((r) => (release = r)).then(() => seen.push("slow")));
    chain.run(() => seen.push("after"));
    await Promise.resolve();
    expect(seen).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(["slow", "after"]);
    expect(chain.pending).toBe(false);
  });

  it("a failing step does not stop the steps after it", async () => {
    const chain = new StepChain();
    const seen: string[] = [];
    chain.add(() => Promise.reject(new Error("broken")));
    chain.add(() => seen.push("next"));
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(["next"]);
  });
});
