/**
 * A stream's send queue: what a writer queued leaves in DATA frames of any size, in
 * order and byte for byte, however many small writes wait.
 */
import { describe, expect, it } from "vitest";
import { H2Stream } from "../src/stream.js";

class QueueOnly extends H2Stream {
  protected released(): void {}
  protected emitData(): void {}
}

function chunk(i: number, size: number): Buffer {
  return Buffer.alloc(size, i & 0xff);
}

/** Takes everything queued in frames of `frameSize` and joins it. */
function drain(stream: H2Stream, frameSize: number): Buffer {
  const out: Buffer[] = [];
  while (stream.queuedBytes > 0) {
    const parts: Buffer[] = [];
    stream.take(Math.min(frameSize, stream.queuedBytes), parts);
    out.push(...parts);
  }
  return Buffer.concat(out);
}

describe("a stream's send queue", () => {
  it("sends 10,000 small writes in order, in frames that cut across them", () => {
    const stream = new QueueOnly(65_535);
    const sent: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      const c = chunk(i, 100 + (i % 7));
      sent.push(c);
      stream.enqueue(c, Infinity);
    }
    expect(drain(stream, 16_384).equals(Buffer.concat(sent))).toBe(true);
    expect(stream.queuedBytes).toBe(0);
  });

  it("keeps the order when writes go on while earlier ones are taken", () => {
    const stream = new QueueOnly(65_535);
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) {
        const c = chunk(round * 300 + i, 50 + ((round + i) % 11));
        sent.push(c);
        stream.enqueue(c, Infinity);
      }
      // Take a little less than was queued, so the queue never empties.
      const parts: Buffer[] = [];
      stream.take(Math.max(1, stream.queuedBytes - 777), parts);
      received.push(...parts);
    }
    received.push(drain(stream, 1000));
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
  });

  it("hands a large write out as views of the writer's buffer, not copies", () => {
    const stream = new QueueOnly(65_535);
    const big = Buffer.alloc(64 * 1024, 7);
    stream.enqueue(big, Infinity);
    const parts: Buffer[] = [];
    stream.take(16_384, parts);
    stream.take(16_384, parts);
    expect(parts.every((p) => p.buffer === big.buffer)).toBe(true);
    expect(parts[1]!.byteOffset - big.byteOffset).toBe(16_384);
  });
});
