import { describe, expect, it } from "vitest";
import { encodeTimeout, parseTimeout } from "../src/wire/grpc-timeout.js";

describe("encodeTimeout", () => {
  it("uses nanoseconds while they fit in 8 digits", () => {
    expect(encodeTimeout(1)).toBe("1000000n");
    expect(encodeTimeout(0.000001)).toBe("1n");
    expect(encodeTimeout(1.1)).toBe("1100000n");
    expect(encodeTimeout(99.999999)).toBe("99999999n");
  });

  it("moves to microseconds past 99999999n", () => {
    expect(encodeTimeout(100)).toBe("100000u");
    expect(encodeTimeout(99_999.999)).toBe("99999999u");
  });

  it("moves to milliseconds, seconds, minutes and hours as values grow", () => {
    expect(encodeTimeout(100_000)).toBe("100000m");
    expect(encodeTimeout(99_999_999)).toBe("99999999m");
    expect(encodeTimeout(100_000_000)).toBe("100000S");
    expect(encodeTimeout(99_999_999_000)).toBe("99999999S");
    expect(encodeTimeout(100_000_000_000)).toBe("1666667M");
    expect(encodeTimeout(99_999_999 * 60_000)).toBe("99999999M");
    expect(encodeTimeout(99_999_999 * 60_000 + 1)).toBe("1666667H");
    expect(encodeTimeout(99_999_999 * 3_600_000)).toBe("99999999H");
  });

  it("never writes more than 8 digits", () => {
    for (let ms = 0.0001; ms < 1e16; ms *= 3.7) {
      expect(encodeTimeout(ms)).toMatch(/^\d{1,8}[HMSmun]$/);
    }
  });

  it("rounds up so the peer never sees a shorter deadline", () => {
    expect(encodeTimeout(100_000.5)).toBe("100001m");
    expect(encodeTimeout(1 / 3)).toBe("333334n");
    for (let ms = 0.0001; ms < 1e13; ms *= 2.9) {
      const parsed = parseTimeout(encodeTimeout(ms));
      expect(parsed).toBeGreaterThanOrEqual(ms * (1 - 1e-12));
    }
  });

  it("writes zero or a negative timeout as 0n", () => {
    expect(encodeTimeout(0)).toBe("0n");
    expect(encodeTimeout(-5)).toBe("0n");
  });

  it("caps a timeout longer than 99999999 hours, or infinite, at 99999999H", () => {
    expect(encodeTimeout(1e20)).toBe("99999999H");
    expect(encodeTimeout(Number.POSITIVE_INFINITY)).toBe("99999999H");
  });

  it("rejects NaN", () => {
    expect(() => encodeTimeout(Number.NaN)).toThrow(RangeError);
  });
});

describe("parseTimeout", () => {
  it("reads every unit into milliseconds", () => {
    expect(parseTimeout("2H")).toBe(7_200_000);
    expect(parseTimeout("3M")).toBe(180_000);
    expect(parseTimeout("4S")).toBe(4_000);
    expect(parseTimeout("5m")).toBe(5);
    expect(parseTimeout("1500u")).toBe(1.5);
    expect(parseTimeout("2500000n")).toBe(2.5);
  });

  it("keeps fractions of a millisecond", () => {
    expect(parseTimeout("1u")).toBe(0.001);
    expect(parseTimeout("1n")).toBe(0.000001);
  });

  it("accepts zero and leading zeros", () => {
    expect(parseTimeout("0n")).toBe(0);
    expect(parseTimeout("00000001S")).toBe(1000);
  });

  it("accepts 8 digits and rejects 9", () => {
    expect(parseTimeout("99999999H")).toBe(99_999_999 * 3_600_000);
    expect(parseTimeout("100000000m")).toBeUndefined();
  });

  it("returns undefined for malformed values", () => {
    for (const bad of ["", "S", "1", "10", "1s", "1h", "1x", "-1S", "+1S", "1.5S", " 1S", "1S ", "1 S", "1e3m", "0x10m", "1SS", "١S"]) {
      expect(parseTimeout(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it("reads back what encodeTimeout writes", () => {
    for (const ms of [0, 1, 50, 250, 1000, 30_000, 3_600_000, 86_400_000]) {
      expect(parseTimeout(encodeTimeout(ms))).toBe(ms);
    }
  });
});
