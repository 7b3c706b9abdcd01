/**
 * Channel targets, as doc/naming.md describes them: `scheme://authority/endpoint`,
 * `scheme:endpoint`, or a bare `host:port` that the default scheme resolves.
 */
export interface Target {
  /** The resolver scheme: "dns", "passthrough", "unix", "ipv4", ... */
  readonly scheme: string;
  /** The authority part of the URI (a DNS server for dns://); often empty. */
  readonly authority: string;
  /** What the resolver resolves: "host:port", a path, a list of addresses. */
  readonly endpoint: string;
  /** The target as the user wrote it. */
  readonly raw: string;
}

const uriPattern = /^([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/([^/]*)\/?)?(.*)$/;

/**
 * Parses a target. A string whose scheme is not one `isKnownScheme` accepts is taken
 * whole as the endpoint of `defaultScheme` (so "localhost:50051" and "[::1]:443" work).
 */
export function parseTarget(
  raw: string,
  defaultScheme: string,
  isKnownScheme: (scheme: string) => boolean,
): Target {
  if (raw === "") throw new Error("channel target is empty: pass \"host:port\" or \"scheme:///endpoint\"");
  const m = uriPattern.exec(raw);
  if (m && isKnownScheme(m[1].toLowerCase())) {
    const scheme = m[1].toLowerCase();
    const hasAuthority = m[2] !== undefined;
    return {
      scheme,
      authority: hasAuthority ? (m[3] ?? "") : "",
      endpoint: m[4] ?? "",
      raw,
    };
  }
  return { scheme: defaultScheme, authority: "", endpoint: raw, raw };
}

/** Splits "host:port", "[v6]:port", "host" into host and port (undefined when absent). */
export function splitHostPort(hostPort: string): { host: string; port: number | undefined } {
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    if (close < 0) throw new TypeError(`invalid address "${hostPort}": missing "]"`);
    const host = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    if (rest === "") return { host, port: undefined };
    if (!rest.startsWith(":")) throw new TypeError(`invalid address "${hostPort}"`);
    return { host, port: parsePort(rest.slice(1), hostPort) };
  }
  const colon = hostPort.lastIndexOf(":");
  if (colon < 0) return { host: hostPort, port: undefined };
  if (hostPort.indexOf(":") !== colon) {
    // A bare IPv6 address without brackets and without a port.
    return { host: hostPort, port: undefined };
  }
  return { host: hostPort.slice(0, colon), port: parsePort(hostPort.slice(colon + 1), hostPort) };
}

function parsePort(s: string, whole: string): number {
  const n = Number(s);
  if (s === "" || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new TypeError(`invalid port in address "${whole}"`);
  }
  return n;
}

/** Joins host and port, bracketing IPv6 literals. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
