/**
 * The dns resolver against a real DNS server (dnsmasq on loopback): addresses, ports,
 * the DNS server in the authority, lookup failures, service config from TXT records,
 * re-resolution limits and close().
 */
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Resolver } from "@grpckit/core";
import { dnsResolver, type DnsResolverOptions } from "../src/index.js";
import { Dnsmasq } from "./dnsmasq.js";
import { RecordingConn, delay, dnsTarget, type Delivery } from "./recording-conn.js";

const dns = new Dnsmasq();
const config = (choices: unknown) => `grpc_config=${JSON.stringify(choices)}`;
const roundRobin = { loadBalancingPolicy: "round_robin" };
const pickFirst = { loadBalancingPolicy: "pick_first" };

const baseHosts: Record<string, string[]> = {
  "two.test": ["127.0.0.2", "127.0.0.3"],
  "six.test": ["::1"],
  "dual.test": ["::1", "127.0.0.4"],
  "lang.test": ["127.0.0.5"],
  "pct0.test": ["127.0.0.5"],
  "pct100.test": ["127.0.0.5"],
  "hostname.test": ["127.0.0.5"],
  "bad-json.test": ["127.0.0.5"],
  "bad-choice.test": ["127.0.0.5"],
  "other-txt.test": ["127.0.0.5"],
  "moving.test": ["127.0.0.10"],
};

beforeAll(async () => {
  await dns.start({
    hosts: baseHosts,
    txt: {
      "_grpc_config.lang.test": [
        config([
          { clientLanguage: ["go", "java"], serviceConfig: roundRobin },
          { clientLanguage: ["NODE"], serviceConfig: pickFirst },
        ]),
      ],
      "_grpc_config.pct0.test": [config([{ percentage: 0, serviceConfig: roundRobin }, { serviceConfig: pickFirst }])],
      "_grpc_config.pct100.test": [config([{ percentage: 100, serviceConfig: roundRobin }, { serviceConfig: pickFirst }])],
      "_grpc_config.hostname.test": [
        config([
          { clientHostname: ["client-b"], serviceConfig: roundRobin },
          { clientHostname: ["client-a"], serviceConfig: pickFirst },
        ]),
      ],
      "_grpc_config.bad-json.test": ["grpc_config=[{\"serviceConfig\": {"],
      "_grpc_config.bad-choice.test": [config([{ serviceConfig: roundRobin, clientLanguages: ["node"] }])],
      "_grpc_config.other-txt.test": ["v=spf1 -all", config([{ serviceConfig: roundRobin }])],
    },
  });
});

afterAll(async () => {
  await dns.dispose();
});

const open: Resolver[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  for (const s of sockets.splice(0)) s.close();
});

function resolve(endpoint: string, options: DnsResolverOptions = {}, authority?: string): RecordingConn {
  const cc = new RecordingConn();
  const builder = dnsResolver({ servers: [dns.server], ...options });
  open.push(builder.build(dnsTarget(endpoint, authority), cc, { authority: endpoint }));
  return cc;
}

describe("addresses", () => {
  it("turns A records into one endpoint per address with the target's port", async () => {
    const cc = resolve("two.test:50051");
    expect((await cc.addresses(0)).sort()).toEqual(["127.0.0.2:50051", "127.0.0.3:50051"]);
    expect((await cc.state(0)).endpoints).toHaveLength(2);
  });

  it("brackets an AAAA record's address", async () => {
    const cc = resolve("six.test:8080");
    expect(await cc.addresses(0)).toEqual(["[::1]:8080"]);
  });

  it("lists IPv6 and IPv4 addresses alternately, IPv6 first", async () => {
    const cc = resolve("dual.test:7000");
    expect(await cc.addresses(0)).toEqual(["[::1]:7000", "127.0.0.4:7000"]);
  });

  it("dials port 443 when the target names no port", async () => {
    const cc = resolve("two.test");
    expect((await cc.addresses(0)).sort()).toEqual(["127.0.0.2:443", "127.0.0.3:443"]);
  });

  it("asks the DNS server named in the target's authority", async () => {
    const cc = new RecordingConn();
    open.push(dnsResolver().build(dnsTarget("six.test:9000", dns.server), cc, { authority: "six.test:9000" }));
    expect(await cc.addresses(0)).toEqual(["[::1]:9000"]);
  });

  it("prefers the authority's DNS server over the servers option", async () => {
    const silent = await silentUdpServer();
    const cc = new RecordingConn();
    const builder = dnsResolver({ servers: [silent], resolveTimeoutMs: 2000 });
    open.push(builder.build(dnsTarget("six.test:9001", dns.server), cc, { authority: "six.test:9001" }));
    expect(await cc.addresses(0)).toEqual(["[::1]:9001"]);
  });

  it("hands an IPv4 or IPv6 literal back as is without asking DNS", async () => {
    const silent = await silentUdpServer();
    const v4 = resolve("127.0.0.9:1234", { servers: [silent] });
    const v6 = resolve("[::1]:1234", { servers: [silent] });
    expect(await v4.addresses(0)).toEqual(["127.0.0.9:1234"]);
    expect(await v6.addresses(0)).toEqual(["[::1]:1234"]);
  });
});

describe("the system's resolver", () => {
  /** What getaddrinfo says of localhost here (/etc/hosts), as "addr:port". */
  async function systemLocalhost(port: number): Promise<string[]> {
    const found = await lookup("localhost", { all: true });
    return found.map((a) => (a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`)).sort();
  }

  it("resolves dns:///localhost through the system (getaddrinfo, /etc/hosts) when no DNS server is named", async () => {
    const cc = new RecordingConn();
    open.push(dnsResolver().build(dnsTarget("localhost:4321"), cc, { authority: "localhost:4321" }));
    const addresses = await cc.addresses(0);
    expect(addresses.sort()).toEqual(await systemLocalhost(4321));
    expect(addresses.some((a) => a === "127.0.0.1:4321" || a === "[::1]:4321")).toBe(true);
    expect((await cc.state(0)).serviceConfig).toBeUndefined();
  });

  it("resolves localhost again through the system after resolveNow", async () => {
    const cc = new RecordingConn();
    open.push(dnsResolver({ minResolutionIntervalMs: 20 }).build(dnsTarget("localhost:4322"), cc, { authority: "localhost:4322" }));
    const first = await cc.addresses(0);
    await delay(40);
    open[open.length - 1].resolveNow();
    expect((await cc.addresses(1)).sort()).toEqual(first.sort());
  });

  it("asks a DNS server named in the servers option for A/AAAA records rather than the system", async () => {
    // dnsmasq runs with --no-hosts and --no-resolv, so it knows no localhost; the system would.
    const cc = resolve("localhost:4323");
    expect((await cc.error(0)).message).toMatch(/^dns: A\/AAAA lookup of localhost failed: /);
  });
});

describe("failures", () => {
  it("reports a name that does not exist with the host and the DNS error", async () => {
    const cc = resolve("missing.test:50051");
    const e = await cc.error(0);
    expect(e.message).toContain("missing.test");
    expect(e.message).toContain("ENOTFOUND");
    expect(e.message).toMatch(/^dns: A\/AAAA lookup of missing\.test failed: /);
  });

  it("reports a DNS server that never answers as a timeout", async () => {
    const silent = await silentUdpServer();
    const cc = resolve("two.test:1", { servers: [silent], resolveTimeoutMs: 200 });
    const e = await cc.error(0);
    expect(e.message).toBe("dns: A/AAAA lookup of two.test timed out after 200 ms");
  });

  it("reports a target without a host", async () => {
    const e = await resolve(":50051").error(0);
    expect(e.message).toContain("has no host name");
  });

  it("reports a target whose port is not a number in 1-65535", async () => {
    expect((await resolve("two.test:99999").error(0)).message).toContain('invalid port "99999"');
    expect((await resolve("two.test:http").error(0)).message).toContain('invalid port "http"');
  });

  it("reports a servers option that is not a list of IP addresses", async () => {
    const e = await resolve("two.test:1", { servers: ["dns.example"] }).error(0);
    expect(e.message).toContain('dns: invalid DNS servers ["dns.example"]');
  });

  it("reports an authority that is not an IP address", async () => {
    const cc = new RecordingConn();
    open.push(dnsResolver().build(dnsTarget("two.test:1", "dns.example:53"), cc, { authority: "two.test:1" }));
    expect((await cc.error(0)).message).toContain('the DNS server "dns.example:53"');
  });
});

describe("service config from TXT records", () => {
  it("chooses the first choice whose clientLanguage names node, in any case", async () => {
    const state = await resolve("lang.test:1").state(0);
    expect(JSON.parse(state.serviceConfig!)).toEqual(pickFirst);
  });

  it("never chooses a choice with percentage 0", async () => {
    for (let i = 0; i < 5; i++) {
      const state = await resolve("pct0.test:1").state(0);
      expect(JSON.parse(state.serviceConfig!)).toEqual(pickFirst);
    }
  });

  it("always chooses a choice with percentage 100", async () => {
    for (let i = 0; i < 5; i++) {
      const state = await resolve("pct100.test:1").state(0);
      expect(JSON.parse(state.serviceConfig!)).toEqual(roundRobin);
    }
  });

  it("chooses by clientHostname using the clientHostname option", async () => {
    const a = await resolve("hostname.test:1", { clientHostname: "client-a" }).state(0);
    expect(JSON.parse(a.serviceConfig!)).toEqual(pickFirst);
    const c = await resolve("hostname.test:1", { clientHostname: "client-c" }).state(0);
    expect(c.serviceConfig).toBeUndefined();
  });

  it("finds the grpc_config record among other TXT records", async () => {
    const state = await resolve("other-txt.test:1").state(0);
    expect(JSON.parse(state.serviceConfig!)).toEqual(roundRobin);
  });

  it("delivers the addresses without a service config when the grpc_config JSON is malformed", async () => {
    const state = await resolve("bad-json.test:1").state(0);
    expect(state.endpoints.map((e) => e.addresses[0].addr)).toEqual(["127.0.0.5:1"]);
    expect(state.serviceConfig).toBeUndefined();
  });

  it("ignores a grpc_config whose choice has an unknown field", async () => {
    const state = await resolve("bad-choice.test:1").state(0);
    expect(state.serviceConfig).toBeUndefined();
  });

  it("delivers the addresses without a service config when the host has no TXT record", async () => {
    const state = await resolve("two.test:1").state(0);
    expect(state.endpoints).toHaveLength(2);
    expect(state.serviceConfig).toBeUndefined();
  });

  it("does not look service config up when enableServiceConfig is false", async () => {
    const state = await resolve("pct100.test:1", { enableServiceConfig: false }).state(0);
    expect(state.serviceConfig).toBeUndefined();
  });
});

describe("re-resolution", () => {
  afterEach(async () => {
    await dns.setHosts(baseHosts, "moving.test");
  });

  it("sees a changed record after resolveNow once the minimum interval has passed", async () => {
    const cc = resolve("moving.test:1", { minResolutionIntervalMs: 50 });
    expect(await cc.addresses(0)).toEqual(["127.0.0.10:1"]);
    await dns.setHosts({ ...baseHosts, "moving.test": ["127.0.0.11"] }, "moving.test");
    open[open.length - 1].resolveNow();
    expect(await cc.addresses(1)).toEqual(["127.0.0.11:1"]);
  });

  it("defers resolveNow calls inside the minimum interval and coalesces them into one lookup", async () => {
    const interval = 300;
    const cc = resolve("moving.test:1", { minResolutionIntervalMs: interval });
    const first = await cc.nth(0);
    const resolver = open[open.length - 1];
    for (let i = 0; i < 10; i++) resolver.resolveNow();
    await delay(interval / 3);
    expect(cc.deliveries).toHaveLength(1);
    const second = await cc.nth(1);
    expect(second.at - first.at).toBeGreaterThanOrEqual(interval - 20);
    await delay(interval * 1.5);
    expect(cc.deliveries).toHaveLength(2);
  });

  it("resolves again right away when the minimum interval has already passed", async () => {
    const cc = resolve("moving.test:1", { minResolutionIntervalMs: 100 });
    await cc.nth(0);
    await delay(150);
    const asked = Date.now();
    open[open.length - 1].resolveNow();
    const second = await cc.nth(1);
    expect(second.at - asked).toBeLessThan(90);
  });

  it("does not resolve again without resolveNow", async () => {
    const cc = resolve("moving.test:1", { minResolutionIntervalMs: 20 });
    await cc.nth(0);
    await delay(150);
    expect(cc.deliveries).toHaveLength(1);
  });
});

describe("retries after a failed lookup", () => {
  afterEach(async () => {
    await dns.setHosts(baseHosts, "moving.test");
  });

  it("looks a missing name up again by itself and delivers it once it exists", async () => {
    const cc = resolve("late.test:1", { retryBackoff: { baseDelayMs: 50, jitter: 0 } });
    expect((await cc.error(0)).message).toContain("late.test");
    await dns.setHosts({ ...baseHosts, "late.test": ["127.0.0.12"] }, "late.test");
    const d = await waitFor(cc, (x) => x.kind === "state");
    expect(d.kind === "state" && d.state.endpoints.map((e) => e.addresses[0].addr)).toEqual(["127.0.0.12:1"]);
  });

  it("waits longer after each failure", async () => {
    const cc = resolve("missing.test:1", { retryBackoff: { baseDelayMs: 60, multiplier: 2, jitter: 0 } });
    const [a, b, c] = [await cc.nth(0), await cc.nth(1), await cc.nth(2)];
    expect(b.at - a.at).toBeGreaterThanOrEqual(55);
    expect(c.at - b.at).toBeGreaterThanOrEqual(115);
    expect([a, b, c].every((d) => d.kind === "error")).toBe(true);
  });

  it("stops retrying once closed", async () => {
    const cc = resolve("missing.test:1", { retryBackoff: { baseDelayMs: 30, jitter: 0 } });
    await cc.error(0);
    open.pop()!.close();
    await delay(150);
    expect(cc.deliveries).toHaveLength(1);
  });
});

describe("close", () => {
  it("delivers nothing when closed before the first lookup finishes", async () => {
    const cc = resolve("two.test:1");
    open.pop()!.close();
    await delay(150);
    expect(cc.deliveries).toHaveLength(0);
  });

  it("cancels a deferred re-resolution", async () => {
    const cc = resolve("moving.test:1", { minResolutionIntervalMs: 100 });
    await cc.nth(0);
    const resolver = open.pop()!;
    resolver.resolveNow();
    resolver.close();
    await delay(250);
    expect(cc.deliveries).toHaveLength(1);
  });

  it("delivers nothing for a literal address when closed at once", async () => {
    const cc = resolve("127.0.0.1:1");
    open.pop()!.close();
    await delay(20);
    expect(cc.deliveries).toHaveLength(0);
  });
});

/** The first delivery from `from` on that satisfies `ok`, within a bounded number of waits. */
async function waitFor(cc: RecordingConn, ok: (d: Delivery) => boolean, from = 0): Promise<Delivery> {
  for (let i = from; i < from + 50; i++) {
    const d = await cc.nth(i);
    if (ok(d)) return d;
  }
  throw new Error("no matching delivery among the next 50");
}

/** A UDP socket on loopback that reads DNS queries and never answers; returns "127.0.0.1:port". */
async function silentUdpServer(): Promise<string> {
  const s = createSocket("udp4");
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return `127.0.0.1:${s.address().port}`;
}
