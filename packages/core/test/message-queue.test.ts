import { describe, expect, it } from "vitest";
import { MessageQueue } from "../src/call/message-queue.js";

describe("MessageQueue", () => {
  it("pauses the source when unread messages reach the high-water mark and resumes when read", async () => {
    const events: string[] = [];
    const q = new MessageQueue<number>(4, () => events.push("pause"), () => events.push("resume"), () => events.push("abandon"));
    for (let i = 0; i < 4; i++) q.push(i);
    expect(events).toEqual(["pause"]);
    await q.next();
    await q.next();
    await q.next();
    expect(events).toEqual(["pause", "resume"]);
  });

  it("readers waiting at once get the messages in the order they asked, and the end after them", async () => {
    const q = new MessageQueue<number>(10, () => {}, () => {}, () => {});
    const reads = [q.next(), q.next(), q.next()];
    const answered: (IteratorResult<number> | "waiting")[] = ["waiting", "waiting", "waiting"];
    reads.forEach((read, i) => void read.then((r) => (answered[i] = r)));
    q.push(1);
    q.push(2);
    q.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toEqual([
      { value: 1, done: false },
      { value: 2, done: false },
      { value: undefined, done: true },
    ]);
  });

  it("delivers queued messages before the error that ended it", async () => {
    const q = new MessageQueue<number>(10, () => {}, () => {}, () => {});
    q.push(1);
    q.end(new Error("boom"));
    expect(await q.next()).toEqual({ value: 1, done: false });
    await expect(q.next()).rejects.toThrow("boom");
  });

  it("a reader that stops early is reported as abandoning the queue", async () => {
    let abandoned = false;
    const q = new MessageQueue<number>(10, () => {}, () => {}, () => (abandoned = true));
    q.push(1);
    q.push(2);
    for await (const x of q) {
      if (x === 1) break;
    }
    expect(abandoned).toBe(true);
  });
});
