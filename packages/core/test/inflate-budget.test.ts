/** InflateBudget: how many bytes may be inflating at once, and who goes next. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Code, GrpcError, gzipCompressor } from "../src/index.js";
import { InflateBudget, inflateWithin } from "../src/call/inflate-budget.js";

const MiB = 1024 * 1024;

describe("InflateBudget", () => {
  it("grants while the bytes fit, then in arrival order as bytes are given back", async () => {
    const budget = new InflateBudget(10);
    expect(budget.take(4)).toBe(true);
    expect(budget.take(4)).toBe(true);
    const order: string[] = [];
    const third = budget.take(4);
    const fourth = budget.take(1);
    expect(third).toBeInstanceOf(Promise);
    // A small request that would fit does not overtake one waiting before it.
    expect(fourth).toBeInstanceOf(Promise);
    void (third as Promise<void>).then(() => order.push("third"));
    void (fourth as Promise<void>).then(() => order.push("fourth"));
    budget.give(4);
    await Promise.resolve();
    expect(order).toEqual(["third", "fourth"]);
    expect(budget.inUse).toBe(9);
  });

  it("a request larger than the whole budget runs alone", async () => {
    const budget = new InflateBudget(10);
    expect(budget.take(25)).toBe(true);
    const next = budget.take(1);
    expect(next).toBeInstanceOf(Promise);
    budget.give(25);
    await next;
    expect(budget.inUse).toBe(1);
  });

  it("inflateWithin holds the limit in every budget while inflating, gives it back after, and refuses a bomb with RESOURCE_EXHAUSTED", async () => {
    const connection = new InflateBudget(16 * MiB);
    const shared = new InflateBudget(64 * MiB);
    const bomb = gzipSync(Buffer.alloc(10 * MiB));
    const running = inflateWithin([connection, shared], gzipCompressor, bomb, 4 * MiB, () => false);
    expect(connection.inUse).toBe(4 * MiB);
    expect(shared.inUse).toBe(4 * MiB);
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(connection.inUse).toBe(0);
    expect(shared.inUse).toBe(0);
    const small = await inflateWithin([connection, shared], gzipCompressor, gzipSync(Buffer.from("hello")), 4 * MiB, () => false);
    expect(Buffer.from(small!).toString()).toBe("hello");
  });

  it("a message whose call ended while it waited is not inflated", async () => {
    const budget = new InflateBudget(4 * MiB);
    budget.take(4 * MiB);
    let ended = false;
    const waiting = inflateWithin([budget], gzipCompressor, gzipSync(Buffer.from("late")), 4 * MiB, () => ended);
    ended = true;
    budget.give(4 * MiB);
    expect(await waiting).toBeUndefined();
    expect(budget.inUse).toBe(0);
  });
});
