/**
 * The no-proxy list (no_grpc_proxy, no_proxy, NO_PROXY): the targets a channel reaches
 * directly although a proxy is set. Entries are comma-separated, trimmed and
 * case-insensitive, with Go's net/http meanings:
 *
 * - `*`: every target;
 * - a host name, `example.com`: that host and every name under it; `.example.com` or
 *   `*.example.com`: only the names under it;
 * - an IP address, `10.1.2.3`, `::1` or `[::1]`: that address;
 * - a CIDR block, `10.0.0.0/8` or `fd00::/8`: the IP addresses in it;
 * - a host name or IP address with `:port` (`example.com:8443`, `[::1]:50051`): the same,
 *   on that port only.
 *
 * Host names are compared as written: a name is never resolved to compare it with an
 * IP entry, so `127.0.0.0/8` does not cover `localhost`.
 */
import { BlockList, isIP } from "node:net";

/** The parsed list: what it lets through directly, and the entries it could not read. */
export interface NoProxyList {
  /** True when `host` (a name, or an IP address without brackets) on `port` is reached without the proxy. */
  matches(host: string, port: number): boolean;
  /** Entries that are none of the forms above ("10.0.0.0/33", "a b"); they match nothing. */
  readonly ignored: readonly string[];
}

interface NameEntry {
  /** Lowercase, without a leading "." or "*." and without a trailing ".". */
  readonly name: string;
  /** True for ".example.com" and "*.example.com": names under it, not the name itself. */
  readonly subdomainsOnly: boolean;
  readonly port: number | undefined;
}

interface AddressEntry {
  /** The one address (or block), compared by node's BlockList so "::1" and "0:0::1" are the same. */
  readonly addresses: BlockList;
  readonly port: number | undefined;
}

/** Parses a no-proxy list; an empty or unset one matches nothing. */
export function parseNoProxy(text: string | undefined): NoProxyList {
  const names: NameEntry[] = [];
  const addresses: AddressEntry[] = [];
  const ignored: string[] = [];
  let everything = false;
  for (const raw of (text ?? "").split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") {
      everything = true;
      continue;
    }
    const parsed = parseEntry(entry);
    if (parsed === undefined) ignored.push(raw.trim());
    else if ("name" in parsed) names.push(parsed);
    else addresses.push(parsed);
  }
  return {
    ignored,
    matches(host: string, port: number): boolean {
      if (everything) return true;
      const family = isIP(host);
      if (family !== 0) {
        const type = family === 4 ? "ipv4" : "ipv6";
        return addresses.some((a) => (a.port === undefined || a.port === port) && a.addresses.check(host, type));
      }
      const name = host.toLowerCase().replace(/\.$/, "");
      return names.some(
        (n) =>
          (n.port === undefined || n.port === port) &&
          (name.endsWith(`.${n.name}`) || (!n.subdomainsOnly && name === n.name)),
      );
    },
  };
}

/** One lowercase, trimmed entry other than "*"; undefined when it is none of the forms. */
function parseEntry(entry: string): NameEntry | AddressEntry | undefined {
  const slash = entry.indexOf("/");
  if (slash >= 0) return parseBlock(entry.slice(0, slash), entry.slice(slash + 1));
  let host = entry;
  let port: number | undefined;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return undefined;
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return undefined;
      port = parsePort(rest.slice(1));
      if (port === undefined) return undefined;
    }
    if (isIP(host) !== 6) return undefined;
  } else if (isIP(entry) === 0) {
    const colon = entry.lastIndexOf(":");
    if (colon >= 0) {
      // One colon: host:port. More is an IPv6 address that did not parse.
      if (entry.indexOf(":") !== colon) return undefined;
      host = entry.slice(0, colon);
      port = parsePort(entry.slice(colon + 1));
      if (port === undefined) return undefined;
    }
  }
  const family = isIP(host);
  if (family !== 0) {
    const addresses = new BlockList();
    addresses.addAddress(host, family === 4 ? "ipv4" : "ipv6");
    return { addresses, port };
  }
  const subdomainsOnly = host.startsWith(".") || host.startsWith("*.");
  const name = host.replace(/^\*?\./, "").replace(/\.$/, "");
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) return undefined;
  return { name, subdomainsOnly, port };
}

/** "10.0.0.0/8", "fd00::/8": the address and prefix length of a CIDR block. */
function parseBlock(network: string, prefixText: string): AddressEntry | undefined {
  const family = isIP(network);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  const addresses = new BlockList();
  addresses.addSubnet(network, prefix, family === 4 ? "ipv4" : "ipv6");
  return { addresses, port: undefined };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}
