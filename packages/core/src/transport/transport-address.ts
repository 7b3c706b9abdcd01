/**
 * Transport addresses as core hands them over: "host:port", "[v6]:port",
 * "unix:/path" (or a relative "unix:path") and "unix-abstract:name", turned into what
 * node:net connects to or listens on, and bound addresses turned back into strings.
 */
import type { AddressInfo } from "node:net";

/** A TCP host and port, or a unix socket path (abstract names start with "\0"). */
export type NetAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * Parses a transport address. An empty host (":50051") means every interface when
 * listening and the local host when connecting. Throws when the form is not one of the above.
 */
export function parseTransportAddress(address: string): NetAddress {
  if (address.startsWith("unix:")) {
    const path = address.slice("unix:".length);
    if (path === "") throw new Error(`address "${address}" has no socket path`);
    return { path };
  }
  if (address.startsWith("unix-abstract:")) {
    return { path: `\0${address.slice("unix-abstract:".length)}` };
  }
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0 || address[close + 1] !== ":") {
      throw new Error(`address "${address}" is not "[ipv6]:port"`);
    }
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) throw new Error(`address "${address}" has no port`);
    host = address.slice(0, colon);
    if (host.includes(":")) {
      throw new Error(`address "${address}" is ambiguous: write an IPv6 address as "[${host}]:port"`);
    }
    portText = address.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`address "${address}" has an invalid port "${portText}"`);
  }
  return { host, port: Number(portText) };
}

/** "ip:port" for IPv4 and names, "[ip]:port" for IPv6. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The string form of a unix socket path: "unix:/path" or "unix-abstract:name". */
export function formatUnixPath(path: string): string {
  return path.startsWith("\0") ? `unix-abstract:${path.slice(1)}` : `unix:${path}`;
}

/** The string form of what `net.Server.address()` returns. */
export function formatBoundAddress(bound: AddressInfo | string | null, fallback: string): string {
  if (bound === null) return fallback;
  if (typeof bound === "string") return formatUnixPath(bound);
  return formatHostPort(bound.address, bound.port);
}
