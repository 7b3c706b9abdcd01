import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeGrpcMessage, encodeGrpcMessage } from "../../src/wire/percent-encoding.js";

/** Any UTF-16 text, lone surrogates included. */
const utf16 = fc.string({
  unit: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("a", " ", "%", "~", "\u0000", "\n", "é", "\u{1f600}", "%41", "%zz") },
    { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  ),
  maxLength: 40,
});

/** The string with every unpaired surrogate replaced by U+FFFD, as UTF-8 encoding does. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

function escapeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += "%" + b.toString(16).padStart(2, "0").toUpperCase();
  return out;
}

/** What a received grpc-message may hold: printable ASCII with stray '%'s, escapes of any bytes, and raw non-ASCII. */
const received = fc.string({
  unit: fc.oneof(
    fc.constantFrom("%", "%4", "%G1", "%%", "%4g", "a", " "),
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => {
      const lower = escapeBytes(b).toLowerCase();
      return b[0] % 2 === 0 ? lower : lower.toUpperCase();
    }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 30,
});

describe("grpc-message percent-encoding under hostile input", () => {
  it("any text encodes to printable ASCII and decodes back, with unpaired surrogates becoming U+FFFD", () => {
    fc.assert(
      fc.property(utf16, (message) => {
        const encoded = encodeGrpcMessage(message);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeGrpcMessage(encoded)).toBe(wellFormed(message));
      }),
      { numRuns: 5000 },
    );
  });

  it("decoding any received value never throws", () => {
    fc.assert(
      fc.property(fc.oneof(received, fc.string({ unit: "binary", maxLength: 30 })), (value) => {
        expect(typeof decodeGrpcMessage(value)).toBe("string");
      }),
      { numRuns: 5000 },
    );
  });

  it("a value with no valid %XX escape is kept exactly as received", () => {
    const noEscape = fc.string({ unit: fc.oneof(fc.constantFrom("%", "%G", "%%", "%4", "%x1"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 30 });
    fc.assert(
      fc.property(noEscape.filter((s) => !/%[0-9a-fA-F]{2}/.test(s)), (value) => {
        expect(decodeGrpcMessage(value)).toBe(value);
      }),
      { numRuns: 3000 },
    );
  });

  it("escaped bytes that are not valid UTF-8 decode to U+FFFD the way a non-fatal UTF-8 decoder does, between untouched text", () => {
    const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z ]{0,5}$/), fc.uint8Array({ maxLength: 24 }), fc.stringMatching(/^[a-z ]{0,5}$/), (before, bytes, after) => {
        expect(decodeGrpcMessage(before + escapeBytes(bytes) + after)).toBe(before + utf8.decode(bytes) + after);
      }),
      { numRuns: 3000 },
    );
  });
});
