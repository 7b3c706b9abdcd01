import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTarget } from "../../src/resolver/target.js";

const schemes = ["dns", "passthrough", "unix", "unix-abstract", "ipv4", "ipv6"];
const known = (s: string) => schemes.includes(s);

/** Targets as users and configs write them, with pieces of URI syntax in random places. */
const targetLike = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc
    .tuple(
      fc.constantFrom("", "dns", "DNS", "unix", "passthrough", "ipv4", "http", "1dns", "d+n.s-", " dns"),
      fc.constantFrom("", ":", "://", ":///", ":/", "//"),
      fc.string({ unit: fc.constantFrom("a", "1", ".", ":", "/", "[", "]", "%", "@", "?", "#", " ", "\u0000", "é"), maxLength: 20 }),
    )
    .map(([scheme, sep, rest]) => scheme + sep + rest),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.ipV6().map((ip) => `[${ip}]:443`),
);

describe("parseTarget under hostile input", () => {
  it("any string is parsed into a Target that keeps the raw text, or refused with an Error saying the target is empty", () => {
    fc.assert(
      fc.property(targetLike, fc.constantFrom("dns", "passthrough"), (raw, defaultScheme) => {
        let target;
        try {
          target = parseTarget(raw, defaultScheme, known);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect(e).not.toBeInstanceOf(TypeError);
          expect((e as Error).message).toMatch(/^channel target is empty/);
          expect(raw).toBe("");
          return;
        }
        expect(target.raw).toBe(raw);
        expect(target.scheme === defaultScheme || known(target.scheme)).toBe(true);
        if (target.scheme === defaultScheme && !raw.toLowerCase().startsWith(`${defaultScheme}:`)) expect(target.endpoint).toBe(raw);
        expect(typeof target.authority).toBe("string");
        expect(typeof target.endpoint).toBe("string");
      }),
      { numRuns: 5000 },
    );
  });

  it("the empty target is refused with a plain Error, not a TypeError, that says what to pass", () => {
    expect(() => parseTarget("", "dns", known)).toThrow(/^channel target is empty: pass "host:port"/);
    expect(() => parseTarget("", "dns", known)).not.toThrow(TypeError);
  });
});
