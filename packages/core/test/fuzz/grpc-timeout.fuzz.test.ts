import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeTimeout, parseTimeout } from "../../src/wire/grpc-timeout.js";

const year = 365.25 * 24 * 3600e3;
const wellFormed = /^\d{1,8}[HMSmun]$/;

/** Strings near the grpc-timeout grammar, plus arbitrary text. */
const timeoutLike = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.tuple(fc.string({ unit: fc.constantFrom("0", "1", "9", " ", "-", "+", ".", "e", "x"), maxLength: 11 }), fc.string({ unit: "binary", maxLength: 2 })).map(([a, b]) => a + b),
  fc.tuple(fc.stringMatching(/^\d{0,10}$/), fc.constantFrom("H", "M", "S", "m", "u", "n", "h", "s", "", "mm", "\u0000")).map(([a, b]) => a + b),
);

describe("grpc-timeout under hostile input", () => {
  it("parseTimeout of any string returns a finite number of milliseconds or undefined, and never throws", () => {
    fc.assert(
      fc.property(timeoutLike, (value) => {
        const ms = parseTimeout(value);
        if (ms === undefined) {
          expect(wellFormed.test(value)).toBe(false);
        } else {
          expect(wellFormed.test(value)).toBe(true);
          expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("encodeTimeout of a whole number of milliseconds up to 200 years is at most 8 digits and a unit, and never parses back shorter", () => {
    const ms = fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: Math.floor(200 * year) }));
    fc.assert(
      fc.property(ms, (ms) => {
        const encoded = encodeTimeout(ms);
        expect(encoded).toMatch(wellFormed);
        expect(parseTimeout(encoded)).toBeGreaterThanOrEqual(ms);
      }),
      { numRuns: 5000 },
    );
  });

  it("encodeTimeout of a fractional timeout from 1 ms to 200 years never parses back shorter by more than floating-point noise", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 200 * year, noNaN: true }), (ms) => {
        const encoded = encodeTimeout(ms);
        expect(encoded).toMatch(wellFormed);
        expect(parseTimeout(encoded)).toBeGreaterThanOrEqual(ms * (1 - 1e-14));
      }),
      { numRuns: 5000 },
    );
  });

  it("a timeout beyond 99999999 hours, even an infinite one, is capped at 99999999H", () => {
    fc.assert(
      fc.property(fc.double({ min: 99_999_999 * 3600e3 + 3600e3, max: Infinity, noNaN: true }), (ms) => {
        expect(encodeTimeout(ms)).toBe("99999999H");
      }),
      { numRuns: 300 },
    );
  });
});
