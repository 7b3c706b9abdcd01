import { describe, expect, it } from "vitest";
import { Code } from "../src/status/code.js";
import { EnvelopeDecoder, eagerBodyBytes, encodeEnvelope } from "../src/wire/envelope.js";
import { GrpcError } from "../src/status/grpc-error.js";

interface Received {
  data: Uint8Array;
  compressed: boolean;
}

function decoder(max = 1024 * 1024): { d: EnvelopeDecoder; got: Received[] } {
  const got: Received[] = [];
  const d = new EnvelopeDecoder(max, (data, compressed) => got.push({ data: Uint8Array.from(data), compressed }));
  return { d, got };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function thrown(fn: () => void): GrpcError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GrpcError);
    return e as GrpcError;
  }
  throw new Error("expected a GrpcError");
}

const payload = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe("encodeEnvelope", () => {
  it("writes the flags byte, a big-endian length and the payload", () => {
    expect(Array.from(encodeEnvelope(new Uint8Array([0xaa, 0xbb]), false))).toEqual([0, 0, 0, 0, 2, 0xaa, 0xbb]);
    expect(Array.from(encodeEnvelope(new Uint8Array([1]), true))).toEqual([1, 0, 0, 0, 1, 1]);
  });

  it("frames an empty message as a bare header", () => {
    expect(Array.from(encodeEnvelope(new Uint8Array(0), false))).toEqual([0, 0, 0, 0, 0]);
  });

  it("writes lengths above 16 MiB in all four length bytes", () => {
    const frame = encodeEnvelope(new Uint8Array(0x01020304), false);
    expect(Array.from(frame.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(frame.byteLength).toBe(5 + 0x01020304);
  });

  it("copies only the payload's own bytes from a view", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 9]);
    expect(Array.from(encodeEnvelope(backing.subarray(2, 4), false))).toEqual([0, 0, 0, 0, 2, 1, 2]);
  });
});

describe("EnvelopeDecoder", () => {
  it("decodes one message in one chunk", () => {
    const { d, got } = decoder();
    d.push(encodeEnvelope(payload(10), true));
    expect(got).toEqual([{ data: payload(10), compressed: true }]);
    expect(d.buffered).toBe(0);
  });

  it("decodes many messages in one chunk, in order", () => {
    const { d, got } = decoder();
    d.push(concat(encodeEnvelope(payload(3, 1), false), encodeEnvelope(payload(0), true), encodeEnvelope(payload(300, 2), false)));
    expect(got).toEqual([
      { data: payload(3, 1), compressed: false },
      { data: new Uint8Array(0), compressed: true },
      { data: payload(300, 2), compressed: false },
    ]);
  });

  it("decodes zero-length messages", () => {
    const { d, got } = decoder();
    d.push(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(got).toEqual([
      { data: new Uint8Array(0), compressed: false },
      { data: new Uint8Array(0), compressed: false },
    ]);
  });

  it("decodes the same messages whatever the chunk boundaries", () => {
    const stream = concat(encodeEnvelope(payload(7, 3), false), encodeEnvelope(payload(0), false), encodeEnvelope(payload(20, 4), true));
    const expected = [
      { data: payload(7, 3), compressed: false },
      { data: new Uint8Array(0), compressed: false },
      { data: payload(20, 4), compressed: true },
    ];
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const { d, got } = decoder();
        d.push(stream.subarray(0, a));
        d.push(stream.subarray(a, b));
        d.push(stream.subarray(b));
        d.end();
        expect(got, `split at ${a} and ${b}`).toEqual(expected);
      }
    }
  });

  it("decodes a stream delivered one byte at a time", () => {
    const stream = concat(encodeEnvelope(payload(40), false), encodeEnvelope(payload(1), true));
    const { d, got } = decoder();
    for (let i = 0; i < stream.length; i++) d.push(stream.subarray(i, i + 1));
    expect(got).toEqual([
      { data: payload(40), compressed: false },
      { data: payload(1), compressed: true },
    ]);
  });

  it("hands out a message lying whole in one chunk as a view of it, without copying", () => {
    const chunk = concat(encodeEnvelope(payload(8), false), encodeEnvelope(payload(4), false));
    const views: Uint8Array[] = [];
    new EnvelopeDecoder(100, (data) => views.push(data)).push(chunk);
    expect(views.map((v) => v.buffer)).toEqual([chunk.buffer, chunk.buffer]);
    expect(views[1].byteOffset).toBe(chunk.byteOffset + 13 + 5);
  });

  it("hands out a view when only the header was split", () => {
    const frame = encodeEnvelope(payload(8), false);
    const views: Uint8Array[] = [];
    const d = new EnvelopeDecoder(100, (data) => views.push(data));
    d.push(frame.slice(0, 2));
    const rest = frame.slice(2);
    d.push(rest);
    expect(views[0].buffer).toBe(rest.buffer);
    expect(Array.from(views[0])).toEqual(Array.from(payload(8)));
  });

  it("joins a split message into one buffer of exactly its length", () => {
    const frame = encodeEnvelope(payload(1000), false);
    const views: Uint8Array[] = [];
    const d = new EnvelopeDecoder(2000, (data) => views.push(data));
    d.push(frame.slice(0, 300));
    d.push(frame.slice(300, 700));
    d.push(frame.slice(700));
    expect(views).toHaveLength(1);
    expect(views[0].byteLength).toBe(1000);
    expect(Array.from(views[0])).toEqual(Array.from(payload(1000)));
  });

  it("with the receive limit raised to 4 GiB, a header announcing 4 GiB costs no memory until its bytes arrive", () => {
    const d = new EnvelopeDecoder(0xffffffff, () => {
      throw new Error("no message can complete");
    });
    const before = process.memoryUsage().arrayBuffers;
    d.push(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(d.buffered).toBe(8);
    const e = thrown(() => d.end());
    expect(e.rawMessage).toBe("the stream ended in the middle of a message (got 3 of 4294967295 bytes)");
  });

  it("receives a message above 4 MiB into one buffer of its length, grown as its bytes arrive to at most twice what arrived", () => {
    const size = 3 * eagerBodyBytes;
    const body = payload(size, 7);
    const frame = encodeEnvelope(body, false);
    const got: Uint8Array[] = [];
    const d = new EnvelopeDecoder(size, (data) => got.push(data));
    const step = 65_536;
    d.push(frame.subarray(0, 5 + step));
    // A header alone is not believed: the room is no more than a small message's.
    expect(d.reserved).toBe(eagerBodyBytes);
    let arrived = step;
    for (let at = 5 + step; at < frame.byteLength; at += step) {
      d.push(frame.subarray(at, at + step));
      arrived = Math.min(arrived + step, size);
      if (arrived < size) {
        expect(d.reserved).toBeGreaterThanOrEqual(arrived);
        expect(d.reserved).toBeLessThanOrEqual(Math.max(eagerBodyBytes, 2 * arrived));
      }
    }
    expect(got).toHaveLength(1);
    expect(got[0].byteLength).toBe(size);
    expect(got[0].buffer.byteLength).toBe(size);
    expect(Buffer.from(got[0]).equals(Buffer.from(body))).toBe(true);
    expect(d.reserved).toBe(0);
  });

  it("copies a message above 4 MiB out of each chunk as it is pushed, so the chunk's memory is free at once", () => {
    // A reader that reuses one buffer for every read (net's `onread`) pushes the same memory each time.
    const size = 3 * eagerBodyBytes;
    const body = payload(size, 11);
    const frame = encodeEnvelope(body, false);
    const got: Uint8Array[] = [];
    const d = new EnvelopeDecoder(size, (data) => got.push(Buffer.from(data)));
    // 65,521 bytes (a prime): no two reads hold the same part of the repeating payload.
    const scratch = Buffer.alloc(65_521);
    for (let at = 0; at < frame.byteLength; at += scratch.byteLength) {
      const read = frame.subarray(at, at + scratch.byteLength);
      scratch.set(read);
      d.push(scratch.subarray(0, read.byteLength));
      scratch.fill(0xee);
    }
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]).equals(Buffer.from(body))).toBe(true);
  });

  it("gathers a message above 4 MiB from its pieces and hands it out whole", () => {
    const size = eagerBodyBytes + 1000;
    const body = payload(size, 5);
    const frame = encodeEnvelope(body, false);
    const views: Uint8Array[] = [];
    const d = new EnvelopeDecoder(8 * 1024 * 1024, (data) => views.push(data));
    for (let at = 0; at < frame.byteLength; at += 65_536) d.push(frame.subarray(at, at + 65_536));
    expect(d.buffered).toBe(0);
    expect(views).toHaveLength(1);
    expect(views[0].byteLength).toBe(size);
    expect(Buffer.from(views[0]).equals(Buffer.from(body))).toBe(true);
  });

  it("counts the bytes of an incomplete frame as buffered", () => {
    const frame = encodeEnvelope(payload(100), false);
    const { d } = decoder();
    d.push(frame.subarray(0, 3));
    expect(d.buffered).toBe(3);
    d.push(frame.subarray(3, 50));
    expect(d.buffered).toBe(50);
    d.push(frame.subarray(50));
    expect(d.buffered).toBe(0);
  });

  it("accepts a message of exactly the maximum size", () => {
    const { d, got } = decoder(16);
    d.push(encodeEnvelope(payload(16), false));
    expect(got).toHaveLength(1);
  });

  it("fails with RESOURCE_EXHAUSTED as soon as a header announces a message over the maximum", () => {
    const { d, got } = decoder(16);
    const e = thrown(() => d.push(new Uint8Array([0, 0x7f, 0xff, 0xff, 0xff])));
    expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(e.rawMessage).toBe("received message larger than max (2147483647 vs. 16)");
    expect(got).toEqual([]);
    expect(d.buffered).toBe(0);
  });

  it("reads the length as unsigned", () => {
    const { d } = decoder(16);
    expect(thrown(() => d.push(new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]))).rawMessage).toBe(
      "received message larger than max (4294967295 vs. 16)",
    );
  });

  it("checks the maximum when the header arrives split across chunks", () => {
    const { d } = decoder(16);
    d.push(new Uint8Array([0, 0, 0]));
    expect(thrown(() => d.push(new Uint8Array([0, 17]))).code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("fails with INTERNAL on flags with reserved bits set", () => {
    for (const flags of [0x02, 0x80, 0x81, 0xff]) {
      const { d, got } = decoder();
      const e = thrown(() => d.push(new Uint8Array([flags, 0, 0, 0, 1, 42])));
      expect(e.code).toBe(Code.INTERNAL);
      expect(e.rawMessage).toContain(`0x${flags.toString(16).padStart(2, "0")}`);
      expect(got).toEqual([]);
    }
  });

  it("delivers the messages before a bad frame, then fails", () => {
    const { d, got } = decoder();
    const e = thrown(() => d.push(concat(encodeEnvelope(payload(2), false), new Uint8Array([4, 0, 0, 0, 0]))));
    expect(e.code).toBe(Code.INTERNAL);
    expect(got).toHaveLength(1);
  });

  it("rejects every chunk after a failure with the same error", () => {
    const { d, got } = decoder(4);
    const first = thrown(() => d.push(encodeEnvelope(payload(5), false)));
    expect(thrown(() => d.push(encodeEnvelope(payload(1), false)))).toBe(first);
    expect(thrown(() => d.end())).toBe(first);
    expect(got).toEqual([]);
  });

  it("ends cleanly between messages", () => {
    const { d } = decoder();
    d.end();
    d.push(encodeEnvelope(payload(3), false));
    expect(() => d.end()).not.toThrow();
  });

  it("fails with INTERNAL when the stream ends in the middle of a message", () => {
    const { d } = decoder();
    d.push(encodeEnvelope(payload(100), false).subarray(0, 45));
    const e = thrown(() => d.end());
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toBe("the stream ended in the middle of a message (got 40 of 100 bytes)");
  });

  it("fails with INTERNAL when the stream ends in the middle of a header", () => {
    const { d } = decoder();
    d.push(new Uint8Array([0, 0]));
    const e = thrown(() => d.end());
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toBe("the stream ended in the middle of a message header (got 2 of 5 bytes)");
  });

  it("lets an error thrown by the message callback propagate from push", () => {
    const d = new EnvelopeDecoder(100, () => {
      throw new Error("handler failed");
    });
    expect(() => d.push(encodeEnvelope(payload(1), false))).toThrow("handler failed");
  });
});
