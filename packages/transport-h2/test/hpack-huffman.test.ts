import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HpackDecoder } from "../src/hpack-decoder.js";
import { HpackError } from "../src/hpack-error.js";
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "../src/hpack-huffman.js";

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  const end = huffmanEncode(s, out, 0);
  expect(end).toBe(out.byteLength);
  return out;
}

function decode(bytes: Buffer): string {
  return huffmanDecode(bytes, 0, bytes.byteLength);
}

function decodeError(bytes: Buffer): HpackError {
  try {
    decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(HpackError);
    return err as HpackError;
  }
  throw new Error(`${bytes.toString("hex")} decoded`);
}

describe("HPACK Huffman code", () => {
  it.each([
    ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"],
    ["no-cache", "a8eb10649cbf"],
    ["custom-key", "25a849e95ba97d7f"],
    ["custom-value", "25a849e95bb8e8b4bf"],
    ["302", "6402"],
    ["307", "640eff"],
    ["private", "aec3771a4b"],
    ["Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"],
    ["https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"],
    ["gzip", "9bd9ab"],
  ])("%s encodes to the RFC 7541 Appendix C bytes and back", (text, hex) => {
    expect(encode(text).toString("hex")).toBe(hex);
    expect(decode(Buffer.from(hex, "hex"))).toBe(text);
  });

  it("every byte value round-trips, alone and in one string", () => {
    for (let b = 0; b < 256; b++) {
      const s = String.fromCharCode(b);
      expect(decode(encode(s))).toBe(s);
    }
    const all = Buffer.from(Array.from({ length: 256 }, (_, b) => b)).toString("latin1");
    expect(decode(encode(all))).toBe(all);
  });

  it("codes of Appendix B: 0 is 13 bits 1ff8, 255 is 26 bits 3ffffee, 'a' is 5 bits 00011", () => {
    // A lone symbol is padded with ones up to the byte boundary.
    expect(encode("\x00").toString("hex")).toBe("ffc7");
    expect(encode("\xff").toString("hex")).toBe("fffffbbf");
    expect(encode("a").toString("hex")).toBe("1f");
  });

  it("arbitrary byte strings round-trip and never grow past 30 bits per byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = Buffer.from(bytes).toString("latin1");
        const encoded = encode(s);
        expect(encoded.byteLength).toBeLessThanOrEqual(Math.ceil((bytes.length * 30) / 8));
        expect(decode(encoded)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it("padding of 8 bits or more is an error", () => {
    expect(decodeError(Buffer.from("f1e3c2e5f23a6ba0ab90f4ffff", "hex")).kind).toBe("invalid-huffman");
    expect(decodeError(Buffer.from("ff", "hex")).kind).toBe("invalid-huffman");
  });

  it("padding that is not all ones is an error", () => {
    // 'a' is 00011: padded with 000 instead of 111.
    expect(decodeError(Buffer.from("18", "hex")).kind).toBe("invalid-huffman");
    expect(decode(Buffer.from("1f", "hex"))).toBe("a");
  });

  it("an EOS symbol in the string is an error", () => {
    // 30 ones (EOS) and 2 bits of padding.
    expect(decodeError(Buffer.from("ffffffff", "hex")).message).toMatch(/EOS/);
    // 'a' then EOS.
    const aThenEos = Buffer.from([0b00011111, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeError(aThenEos).message).toMatch(/EOS/);
  });

  it("a decoder given bad Huffman padding throws an HpackError of kind invalid-huffman", () => {
    // Literal without indexing, new name "a" (Huffman 1f) with a value 'a' padded with zeros (18).
    const block = Buffer.from("00811f8118", "hex");
    expect(() => new HpackDecoder().decode(block)).toThrow(expect.objectContaining({ kind: "invalid-huffman" }));
  });
});
