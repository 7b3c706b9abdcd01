/**
 * What a dns target names: the host to look up, the port to dial, and optionally the
 * DNS server to ask (the target's authority, as doc/naming.md describes:
 * `dns://8.8.8.8:53/example.com:443`).
 */
import { isIP } from "node:net";
import type { Target } from "@grpckit/core";

/** The port dialled when the target names none, as grpc-go does. */
export const defaultPort = 443;
/** The port of a DNS server named in the authority without one. */
export const defaultDnsServerPort = 53;

export interface DnsTarget {
  /** The name to look up, or an IP literal (without brackets). */
  readonly host: string;
  readonly port: number;
  /** The DNS server from the authority as "ip:port" / "[v6]:port", when given. */
  readonly server: string | undefined;
}

/** Splits a dns target into host, port and DNS server; throws an Error saying what is wrong. */
export function parseDnsTarget(target: Target): DnsTarget {
  const endpoint = target.endpoint.replace(/^\/+/, "");
  const { host, port } = splitHostPort(endpoint, target.raw);
  if (host === "") throw new Error(`dns: target "${target.raw}" has no host name`);
  let server: string | undefined;
  if (target.authority !== "") {
    const a = splitHostPort(target.authority, target.raw);
    if (isIP(a.host) === 0) {
      throw new Error(`dns: the DNS server "${target.authority}" in target "${target.raw}" must be an IP address`);
    }
    server = joinHostPort(a.host, a.port ?? defaultDnsServerPort);
  }
  return { host, port: port ?? defaultPort, server };
}

/** Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal. */
export function splitHostPort(s: string, raw: string): { host: string; port: number | undefined } {
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) throw new Error(`dns: target "${raw}" has an IPv6 address without "]"`);
    const host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest === "") return { host, port: undefined };
    if (!rest.startsWith(":")) throw new Error(`dns: target "${raw}" has unexpected text after "]"`);
    return { host, port: parsePort(rest.slice(1), raw) };
  }
  const colon = s.lastIndexOf(":");
  if (colon < 0) return { host: s, port: undefined };
  if (s.indexOf(":") !== colon) {
    if (isIP(s) === 6) return { host: s, port: undefined };
    throw new Error(`dns: target "${raw}" has too many colons (write IPv6 addresses as [addr]:port)`);
  }
  return { host: s.slice(0, colon), port: parsePort(s.slice(colon + 1), raw) };
}

function parsePort(s: string, raw: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) {
    throw new Error(`dns: target "${raw}" has an invalid port "${s}" (want 1-65535)`);
  }
  return n;
}

/** "ip:port", bracketing IPv6 literals. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
