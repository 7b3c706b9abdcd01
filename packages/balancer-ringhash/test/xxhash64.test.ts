/**
 * XXH64 (seed 0) against the reference vectors: the short ones are the published
 * ones; the others were computed with the xxHash C library (libxxhash 0.8), one per
 * code path (under 4 bytes, 4-7, 8-31, 32 and over, multi-byte UTF-8).
 */
import { describe, expect, it } from "vitest";
import { xxHash64 } from "../src/index.js";

describe("xxHash64", () => {
  it.each([
    ["", 0xef46db3751d8e999n],
    ["a", 0xd24ec4f1a98c6e5bn],
    ["abc", 0x44bc2cf5ad770999n],
    ["127.0.0.1:50051_0", 0x2aa0808c170b12a2n],
    ["The quick brown fox jumps over the lazy dog", 0x0b242d361fda71bcn],
    ["héllo wörld ☃", 0xc6f31b61bcc7f364n],
  ])("XXH64(%j) matches the reference", (input, expected) => {
    expect(xxHash64(input)).toBe(expected);
  });

  it("hashes 100 bytes (three 32-byte stripes and a tail) as the reference does", () => {
    expect(xxHash64(Uint8Array.from({ length: 100 }, (_, i) => i))).toBe(0x6ac1e58032166597n);
  });

  it("hashes a string as its UTF-8 bytes", () => {
    expect(xxHash64("héllo")).toBe(xxHash64(new TextEncoder().encode("héllo")));
  });
});
