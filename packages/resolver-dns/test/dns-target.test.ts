/** Reading host, port and DNS server out of dns targets (doc/naming.md). */
import { describe, expect, it } from "vitest";
import { parseDnsTarget } from "../src/index.js";

const t = (endpoint: string, authority = "") => ({ scheme: "dns", authority, endpoint, raw: `dns://${authority}/${endpoint}` });

describe("parseDnsTarget", () => {
  it("reads host and port", () => {
    expect(parseDnsTarget(t("api.internal:50051"))).toEqual({ host: "api.internal", port: 50051, server: undefined });
  });

  it("uses port 443 when none is given", () => {
    expect(parseDnsTarget(t("api.internal")).port).toBe(443);
    expect(parseDnsTarget(t("[::1]")).port).toBe(443);
  });

  it("reads bracketed and bare IPv6 literals", () => {
    expect(parseDnsTarget(t("[::1]:8080"))).toMatchObject({ host: "::1", port: 8080 });
    expect(parseDnsTarget(t("fe80::1"))).toMatchObject({ host: "fe80::1", port: 443 });
  });

  it("takes the DNS server from the authority, port 53 by default", () => {
    expect(parseDnsTarget(t("a.test:1", "127.0.0.1:5353")).server).toBe("127.0.0.1:5353");
    expect(parseDnsTarget(t("a.test:1", "10.0.0.2")).server).toBe("10.0.0.2:53");
    expect(parseDnsTarget(t("a.test:1", "[::1]:5353")).server).toBe("[::1]:5353");
  });

  it("rejects an empty host, a bad port, a non-IP DNS server and an unbracketed IPv6 with a port", () => {
    expect(() => parseDnsTarget(t(""))).toThrow(/has no host name/);
    expect(() => parseDnsTarget(t("a.test:0"))).toThrow(/invalid port "0"/);
    expect(() => parseDnsTarget(t("a.test:"))).toThrow(/invalid port ""/);
    expect(() => parseDnsTarget(t("a.test:1", "ns.example"))).toThrow(/must be an IP address/);
    expect(() => parseDnsTarget(t("[::1"))).toThrow(/without "]"/);
    expect(() => parseDnsTarget(t("a:b:c"))).toThrow(/too many colons/);
  });
});
