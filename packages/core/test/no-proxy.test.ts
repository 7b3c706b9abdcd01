import { describe, expect, it } from "vitest";
import { parseNoProxy } from "../src/client/no-proxy.js";

describe("the no-proxy list", () => {
  it("matches nothing when empty or unset", () => {
    expect(parseNoProxy(undefined).matches("example.com", 443)).toBe(false);
    expect(parseNoProxy(" , ").matches("10.0.0.1", 443)).toBe(false);
  });

  it("lets every target through directly with *", () => {
    const list = parseNoProxy("corp.test, *");
    expect(list.matches("anything.example", 443)).toBe(true);
    expect(list.matches("192.0.2.7", 50051)).toBe(true);
    expect(list.matches("::1", 1)).toBe(true);
  });

  it("matches a host name and the names under it; a leading dot or *. means only the names under it", () => {
    const list = parseNoProxy("example.com,.internal.test,*.svc.test");
    expect(list.matches("example.com", 443)).toBe(true);
    expect(list.matches("a.example.com", 443)).toBe(true);
    expect(list.matches("a.b.example.com", 443)).toBe(true);
    expect(list.matches("badexample.com", 443)).toBe(false);
    expect(list.matches("example.com.evil.test", 443)).toBe(false);
    expect(list.matches("api.internal.test", 443)).toBe(true);
    expect(list.matches("internal.test", 443)).toBe(false);
    expect(list.matches("db.svc.test", 443)).toBe(true);
    expect(list.matches("svc.test", 443)).toBe(false);
  });

  it("reads entries trimmed and case-insensitively, and ignores a trailing dot", () => {
    const list = parseNoProxy("  Example.COM  ,\tBackend.Test. ");
    expect(list.matches("API.example.com", 443)).toBe(true);
    expect(list.matches("backend.test.", 443)).toBe(true);
    expect(list.ignored).toEqual([]);
  });

  it("matches IP addresses exactly, however an IPv6 address is written", () => {
    const list = parseNoProxy("10.1.2.3,::1,[2001:db8::5]");
    expect(list.matches("10.1.2.3", 443)).toBe(true);
    expect(list.matches("10.1.2.4", 443)).toBe(false);
    expect(list.matches("0:0:0:0:0:0:0:1", 443)).toBe(true);
    expect(list.matches("2001:db8:0::5", 443)).toBe(true);
    expect(list.matches("2001:db8::6", 443)).toBe(false);
  });

  it("matches IP addresses inside CIDR blocks, never host names", () => {
    const list = parseNoProxy("10.0.0.0/8, 192.168.4.0/22, fd00::/8, ::1/128");
    expect(list.matches("10.255.0.1", 443)).toBe(true);
    expect(list.matches("11.0.0.1", 443)).toBe(false);
    expect(list.matches("192.168.7.255", 443)).toBe(true);
    expect(list.matches("192.168.8.0", 443)).toBe(false);
    expect(list.matches("fd12:3456::1", 443)).toBe(true);
    expect(list.matches("fe80::1", 443)).toBe(false);
    expect(list.matches("::1", 443)).toBe(true);
    // A name is not resolved to compare it with a block.
    expect(parseNoProxy("127.0.0.0/8").matches("localhost", 443)).toBe(false);
  });

  it("matches an entry with a port on that port only", () => {
    const list = parseNoProxy("example.com:8443,10.0.0.1:50051,[::1]:50052");
    expect(list.matches("api.example.com", 8443)).toBe(true);
    expect(list.matches("api.example.com", 443)).toBe(false);
    expect(list.matches("10.0.0.1", 50051)).toBe(true);
    expect(list.matches("10.0.0.1", 50052)).toBe(false);
    expect(list.matches("::1", 50052)).toBe(true);
    expect(list.matches("::1", 50051)).toBe(false);
  });

  it("keeps the entries it cannot read, which match nothing", () => {
    const list = parseNoProxy("10.0.0.0/33, a b, ::zz, host:99999, ok.test, [::1");
    expect(list.ignored).toEqual(["10.0.0.0/33", "a b", "::zz", "host:99999", "[::1"]);
    expect(list.matches("ok.test", 443)).toBe(true);
    expect(list.matches("10.0.0.1", 443)).toBe(false);
  });
});
