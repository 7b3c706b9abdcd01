import { describe, expect, it } from "vitest";
import { joinHostPort, parseTarget, splitHostPort } from "../src/resolver/target.js";

const known = (s: string) => ["dns", "passthrough", "unix", "unix-abstract"].includes(s);

describe("parseTarget", () => {
  it("a bare host:port goes to the default scheme whole", () => {
    expect(parseTarget("localhost:50051", "dns", known)).toMatchObject({ scheme: "dns", authority: "", endpoint: "localhost:50051" });
  });

  it("a bracketed IPv6 address with a port is a bare target", () => {
    expect(parseTarget("[::1]:443", "passthrough", known)).toMatchObject({ scheme: "passthrough", endpoint: "[::1]:443" });
  });

  it("dns:///name:port has an empty authority", () => {
    expect(parseTarget("dns:///api.internal:443", "passthrough", known)).toMatchObject({
      scheme: "dns",
      authority: "",
      endpoint: "api.internal:443",
    });
  });

  it("dns://server/name keeps the authority naming the DNS server", () => {
    expect(parseTarget("dns://127.0.0.1:5353/api:80", "passthrough", known)).toMatchObject({
      scheme: "dns",
      authority: "127.0.0.1:5353",
      endpoint: "api:80",
    });
  });

  it("an unknown scheme is not a scheme: the whole string is the endpoint", () => {
    expect(parseTarget("myhost:8080", "dns", known)).toMatchObject({ scheme: "dns", endpoint: "myhost:8080" });
  });

  it("unix:path and unix:///abs keep their path", () => {
    expect(parseTarget("unix:relative/sock", "dns", known)).toMatchObject({ scheme: "unix", endpoint: "relative/sock" });
    expect(parseTarget("unix:///tmp/sock", "dns", known)).toMatchObject({ scheme: "unix", endpoint: "tmp/sock" });
  });

  it("an empty target is refused with a clear error", () => {
    expect(() => parseTarget("", "dns", known)).toThrow(/empty/);
  });
});

describe("host and port", () => {
  it("splits and joins IPv4, IPv6 and names", () => {
    expect(splitHostPort("127.0.0.1:80")).toEqual({ host: "127.0.0.1", port: 80 });
    expect(splitHostPort("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
    expect(splitHostPort("example.com")).toEqual({ host: "example.com", port: undefined });
    expect(joinHostPort("::1", 5)).toBe("[::1]:5");
    expect(joinHostPort("a.b", 5)).toBe("a.b:5");
  });

  it("a port out of range is refused", () => {
    expect(() => splitHostPort("h:70000")).toThrow(/invalid port/);
    expect(() => splitHostPort("h:x")).toThrow(/invalid port/);
  });
});
