/**
 * Where a channel's proxy applies (gRFC A1). A `dns:` target's name is not resolved by
 * the channel (inside a proxied network it usually cannot be): the channel has one
 * address, the name and port as written (port 443 when absent), and each connection
 * asks the proxy to CONNECT to it. Any other target resolves as usual and each address
 * it yields is tunnelled to, unless the no-proxy list names it. Unix sockets are never
 * proxied.
 */
import { isIP } from "node:net";
import { passthroughResolver } from "../resolver/passthrough-resolver.js";
import type { ResolverBuilder } from "../resolver/resolver.js";
import { joinHostPort, splitHostPort, type Target } from "../resolver/target.js";
import { trace } from "../observability/logging.js";
import type { HttpConnectProxy } from "../transport/http-connect-proxy.js";
import { parseTransportAddress } from "../transport/transport-address.js";
import type { ProxyConfig } from "./proxy-config.js";

/** The port a dns target's name is connected to when it names none, as the dns resolver's. */
const dnsDefaultPort = 443;

/** How a channel's connections use its proxy. */
export interface ProxyRoute {
  /** Replaces the target's resolver when the proxy resolves the name: it yields the name and port as they are. */
  readonly resolver: ResolverBuilder | undefined;
  /** The proxy to tunnel through to a transport address, or undefined to connect directly. */
  proxyFor(address: string): HttpConnectProxy | undefined;
}

/** How `target`'s connections use the proxy `config` names; undefined when none goes through it. */
export function proxyRoute(target: Target, config: ProxyConfig | undefined): ProxyRoute | undefined {
  if (config === undefined || target.scheme === "unix" || target.scheme === "unix-abstract") return undefined;
  const { proxy, noProxy } = config;
  const name = target.scheme === "dns" ? dnsName(target) : undefined;
  if (name !== undefined) {
    if (noProxy?.matches(name.host, name.port) === true) {
      trace("proxy", `${target.raw}: not proxied, the no-proxy list names ${name.host}`);
      return undefined;
    }
    const address = joinHostPort(name.host, name.port);
    trace("proxy", `${target.raw}: CONNECT ${address} through the proxy ${proxy.address} (${config.source})`);
    const unresolved: Target = { scheme: "passthrough", authority: "", endpoint: address, raw: target.raw };
    return {
      resolver: { name: target.scheme, build: (_target, cc, options) => passthroughResolver.build(unresolved, cc, options) },
      proxyFor: () => proxy,
    };
  }
  trace("proxy", `${target.raw}: each address not on the no-proxy list goes through the proxy ${proxy.address} (${config.source})`);
  return {
    resolver: undefined,
    proxyFor(address) {
      let parsed: ReturnType<typeof parseTransportAddress>;
      try {
        parsed = parseTransportAddress(address);
      } catch {
        // The transport refuses the address itself, with its own message.
        return undefined;
      }
      if ("path" in parsed || noProxy?.matches(parsed.host, parsed.port) === true) return undefined;
      return proxy;
    },
  };
}

/** A dns target's host name and port; undefined for an IP address (dialed per address) or a target the dns resolver will refuse. */
function dnsName(target: Target): { host: string; port: number } | undefined {
  let parts: { host: string; port: number | undefined };
  try {
    parts = splitHostPort(target.endpoint.replace(/^\/+/, ""));
  } catch {
    return undefined;
  }
  if (parts.host === "" || isIP(parts.host) !== 0 || parts.port === 0) return undefined;
  return { host: parts.host, port: parts.port ?? dnsDefaultPort };
}
