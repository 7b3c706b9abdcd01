import { describe, expect, it } from "vitest";
import { benchMessage } from "../src/bench-message.js";
import { FrameReader, frameMessage } from "../src/frame.js";

function readAll(chunks: Buffer[]): Buffer[] {
  const reader = new FrameReader();
  const frames: Buffer[] = [];
  for (const chunk of chunks) reader.push(chunk, (frame) => frames.push(Buffer.from(frame)));
  return frames;
}

describe("gRPC framing for the raw server", () => {
  it("prefixes a message with a zero compressed flag and its big-endian length", () => {
    const frame = frameMessage(new Uint8Array([1, 2, 3]));
    expect([...frame]).toEqual([0, 0, 0, 0, 3, 1, 2, 3]);
  });

  it("finds every frame of a chunk holding several whole frames", () => {
    const a = frameMessage(new Uint8Array([1]));
    const b = frameMessage(new Uint8Array([2, 2]));
    expect(readAll([Buffer.concat([a, b])])).toEqual([a, b]);
  });

  it("joins a frame cut at every possible byte, including inside its 5-byte prefix", () => {
    const frame = frameMessage(new Uint8Array(300).fill(7));
    for (let cut = 1; cut < frame.length; cut++) {
      expect(readAll([frame.subarray(0, cut), frame.subarray(cut)])).toEqual([frame]);
    }
  });

  it("joins a 64 KiB message delivered in 16 KiB DATA frames", () => {
    const { frame } = benchMessage(64 * 1024);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < frame.length; offset += 16_384) chunks.push(frame.subarray(offset, offset + 16_384));
    expect(readAll(chunks)).toEqual([frame]);
  });

  it("holds back a partial frame until the rest arrives", () => {
    const reader = new FrameReader();
    const frames: Buffer[] = [];
    const frame = frameMessage(new Uint8Array(10));
    reader.push(frame.subarray(0, 8), (f) => frames.push(f));
    expect(frames).toEqual([]);
    expect(reader.bufferedBytes).toBe(8);
    reader.push(frame.subarray(8), (f) => frames.push(f));
    expect(frames).toEqual([frame]);
    expect(reader.bufferedBytes).toBe(0);
  });
});

describe("the bench message", () => {
  it("encodes to exactly the asked size, 100 bytes and 64 KiB", () => {
    for (const size of [100, 65536]) {
      const message = benchMessage(size);
      expect(message.encoded.length).toBe(size);
      expect(message.frame.length).toBe(size + 5);
      expect(message.frame.readUInt32BE(1)).toBe(size);
    }
  });
});
