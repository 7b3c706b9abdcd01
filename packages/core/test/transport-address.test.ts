import { describe, expect, it } from "vitest";
import { formatBoundAddress, formatHostPort, parseTransportAddress } from "../src/transport/transport-address.js";

describe("parseTransportAddress", () => {
  it("splits host:port", () => {
    expect(parseTransportAddress("127.0.0.1:50051")).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(parseTransportAddress("api.internal:443")).toEqual({ host: "api.internal", port: 443 });
  });

  it("reads an IPv6 host in brackets", () => {
    expect(parseTransportAddress("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
    expect(parseTransportAddress("[fe80::1%eth0]:1")).toEqual({ host: "fe80::1%eth0", port: 1 });
  });

  it("takes an empty host as the wildcard", () => {
    expect(parseTransportAddress(":50051")).toEqual({ host: "", port: 50051 });
  });

  it("reads unix socket paths, absolute and relative", () => {
    expect(parseTransportAddress("unix:/run/grpc.sock")).toEqual({ path: "/run/grpc.sock" });
    expect(parseTransportAddress("unix:rel/grpc.sock")).toEqual({ path: "rel/grpc.sock" });
  });

  it("turns an abstract unix socket name into a path starting with NUL", () => {
    expect(parseTransportAddress("unix-abstract:grpc")).toEqual({ path: "\0grpc" });
  });

  it("rejects forms it cannot connect to, saying why", () => {
    expect(() => parseTransportAddress("localhost")).toThrow(/has no port/);
    expect(() => parseTransportAddress("::1:80")).toThrow(/\[::1\]:port/);
    expect(() => parseTransportAddress("[::1]80")).toThrow(/not "\[ipv6\]:port"/);
    expect(() => parseTransportAddress("host:http")).toThrow(/invalid port "http"/);
    expect(() => parseTransportAddress("host:70000")).toThrow(/invalid port/);
    expect(() => parseTransportAddress("unix:")).toThrow(/no socket path/);
  });
});

describe("formatting addresses", () => {
  it("brackets IPv6 hosts only", () => {
    expect(formatHostPort("10.0.0.1", 80)).toBe("10.0.0.1:80");
    expect(formatHostPort("::1", 80)).toBe("[::1]:80");
  });

  it("formats what a bound server reports", () => {
    expect(formatBoundAddress({ address: "127.0.0.1", family: "IPv4", port: 4000 }, "x")).toBe("127.0.0.1:4000");
    expect(formatBoundAddress({ address: "::", family: "IPv6", port: 4000 }, "x")).toBe("[::]:4000");
    expect(formatBoundAddress("/tmp/s.sock", "x")).toBe("unix:/tmp/s.sock");
    expect(formatBoundAddress("\0name", "x")).toBe("unix-abstract:name");
    expect(formatBoundAddress(null, "unix:/gone")).toBe("unix:/gone");
  });
});
