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

/** Resolver schemes grpckit packages provide, and the call that registers each. */
const resolverPackages: Readonly<Record<string, { pkg: string; register: string }>> = {
  dns: { pkg: "@grpckit/resolver-dns", register: "registerDnsResolver" },
};

/** Schemes that are never an address's host: "dns:x" means the dns resolver, not host "dns". */
const resolverOnlySchemes = new Set(["dns", "xds"]);

/**
 * Why `raw` cannot be used when it clearly names a resolver scheme none is registered
 * for ("scheme://...", or "dns:..." that is no host:port), else undefined. A bare
 * "host:port" ("localhost:50051", "[::1]:443") is never refused here: it goes to the
 * default scheme whole, as grpc-go does.
 */
export function missingResolverError(raw: string, isKnownScheme: (scheme: string) => boolean, registered: readonly string[]): Error | undefined {
  const m = uriPattern.exec(raw);
  if (m === null) return undefined;
  const scheme = m[1].toLowerCase();
  if (isKnownScheme(scheme)) return undefined;
  const clearlyUri = m[2] !== undefined || (resolverOnlySchemes.has(scheme) && !/^\d+$/.test(m[4]));
  if (!clearlyUri) return undefined;
  const known = `registered schemes: ${registered.join(", ")}`;
  const provided = resolverPackages[scheme];
  if (provided !== undefined) {
    return new Error(
      `target "${raw}" needs a resolver for the "${scheme}" scheme, and none is registered: call ${provided.register}() from ${provided.pkg} before creating the channel (${known})`,
    );
  }
  const hint =
    scheme === "http" || scheme === "https"
      ? `; to connect to an address, write it as "host:port" without "${scheme}://" (TLS comes from the channel's credentials)`
      : `; register a resolver for "${scheme}" (registerResolver, or the channel's resolvers option)`;
  return new Error(`target "${raw}": no resolver is registered for scheme "${scheme}" (${known})${hint}`);
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
