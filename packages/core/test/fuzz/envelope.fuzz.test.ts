import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code } from "../../src/status/code.js";
import { EnvelopeDecoder, encodeEnvelope } from "../../src/wire/envelope.js";
import { GrpcError } from "../../src/status/grpc-error.js";
import { concat, cutPoints, frameByFrame, hostileStream, splitAt, type Decoded } from "./data-streams.js";

/** Feeds `chunks` to a decoder, checking after every push that it never holds more than one frame. */
function decodeChunks(chunks: readonly Uint8Array[], limit: number): Decoded {
  const messages: Decoded["messages"] = [];
  const decoder = new EnvelopeDecoder(limit, (data, compressed) => {
    expect(data.byteLength).toBeLessThanOrEqual(limit);
    messages.push({ data: Array.from(data), compressed });
  });
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      expect(decoder.buffered).toBeLessThanOrEqual(5 + limit);
    }
    decoder.end();
  } catch (e) {
    if (!(e instanceof GrpcError)) throw e;
    expect(() => decoder.push(Uint8Array.of(0))).toThrow(e);
    return { messages, error: e.code };
  }
  return { messages, error: undefined };
}

describe("EnvelopeDecoder under hostile DATA", () => {
  it("any bytes, cut anywhere, decode as a whole-buffer reading does, failing only with INTERNAL or RESOURCE_EXHAUSTED", () => {
    fc.assert(
      fc.property(hostileStream, cutPoints, fc.integer({ min: 0, max: 64 }), (bytes, cuts, limit) => {
        const got = decodeChunks(splitAt(bytes, cuts), limit);
        expect(got).toEqual(frameByFrame(bytes, limit));
        if (got.error !== undefined) expect([Code.INTERNAL, Code.RESOURCE_EXHAUSTED]).toContain(got.error);
      }),
      { numRuns: 3000 },
    );
  });

  it("a compressed flag is passed to the caller, not refused by the decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), cutPoints, (data, cuts) => {
        const got = decodeChunks(splitAt(encodeEnvelope(data, true), cuts), 32);
        expect(got).toEqual({ messages: [{ data: Array.from(data), compressed: true }], error: undefined });
      }),
      { numRuns: 500 },
    );
  });

  it("encoded messages, concatenated and re-split at random points, decode to the same messages in order", () => {
    const message = fc.record({ data: fc.uint8Array({ maxLength: 300 }), compressed: fc.boolean() });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 12 }), cutPoints, (sent, cuts) => {
        const wire = concat(sent.map((m) => encodeEnvelope(m.data, m.compressed)));
        const got = decodeChunks(splitAt(wire, cuts), 300);
        expect(got.error).toBeUndefined();
        expect(got.messages).toEqual(sent.map((m) => ({ data: Array.from(m.data), compressed: m.compressed })));
      }),
      { numRuns: 1500 },
    );
  });

  it("a 4 GiB length prefix is refused with RESOURCE_EXHAUSTED before any body is buffered, however the header is split", () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), cutPoints, fc.uint8Array({ maxLength: 16 }), (flags, cuts, tail) => {
        const wire = concat([Uint8Array.of(flags, 0xff, 0xff, 0xff, 0xff), tail]);
        const decoder = new EnvelopeDecoder(4 * 1024 * 1024, () => expect.fail("no message may be delivered"));
        let error: unknown;
        try {
          for (const chunk of splitAt(wire, cuts)) decoder.push(chunk);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(GrpcError);
        expect((error as GrpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
        expect((error as GrpcError).message).toContain("4294967295");
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
