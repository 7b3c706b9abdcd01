/**
 * Which HTTP proxy a channel's connections go through (gRFC A1): the channel's `proxy`
 * option when it has one (a URL, or false for none), else the environment as it is
 * when the channel is created — the first set of grpc_proxy, https_proxy and
 * HTTPS_PROXY names the proxy, and the first set of no_grpc_proxy, no_proxy and
 * NO_PROXY lists the targets reached directly (client/no-proxy.ts).
 */
import { LogVerbosity, log } from "../observability/logging.js";
import type { HttpConnectProxy } from "../transport/http-connect-proxy.js";
import { formatHostPort } from "../transport/transport-address.js";
import { parseNoProxy, type NoProxyList } from "./no-proxy.js";

/** The proxy a channel uses and where it came from. */
export interface ProxyConfig {
  readonly proxy: HttpConnectProxy;
  /** Targets reached directly; none when the proxy came from the channel's option. */
  readonly noProxy: NoProxyList | undefined;
  /** Where the proxy was named: "the proxy option", or the environment variable. */
  readonly source: string;
}

/** The environment variables read, first set first. */
export const proxyEnvironmentVariables = ["grpc_proxy", "https_proxy", "HTTPS_PROXY"] as const;
export const noProxyEnvironmentVariables = ["no_grpc_proxy", "no_proxy", "NO_PROXY"] as const;

/** The port of a proxy URL that names none: http's. */
const defaultProxyPort = 80;

/**
 * The proxy for a channel with this `proxy` option in this environment; undefined for
 * none. A proxy option that is not an http:// URL throws; an environment variable that
 * is not one is logged (at ERROR, so it shows by default) and no proxy is used.
 */
export function proxyConfig(option: string | false | undefined, env: NodeJS.ProcessEnv): ProxyConfig | undefined {
  if (option === false) return undefined;
  if (option !== undefined) {
    try {
      return { proxy: parseProxyUrl(option), noProxy: undefined, source: "the proxy option" };
    } catch (e) {
      throw new Error(`the channel's proxy option: ${(e as Error).message}`);
    }
  }
  const variable = proxyEnvironmentVariables.find((name) => (env[name] ?? "") !== "");
  if (variable === undefined) return undefined;
  let proxy: HttpConnectProxy;
  try {
    proxy = parseProxyUrl(env[variable]!);
  } catch (e) {
    log(LogVerbosity.ERROR, `ignoring the environment variable ${variable}, connecting without a proxy: ${(e as Error).message}`);
    return undefined;
  }
  const noProxyVariable = noProxyEnvironmentVariables.find((name) => (env[name] ?? "") !== "");
  const noProxy = parseNoProxy(noProxyVariable === undefined ? undefined : env[noProxyVariable]);
  if (noProxy.ignored.length > 0) {
    log(LogVerbosity.ERROR, `${noProxyVariable}: ignoring entries that are no host name, IP address or CIDR block: ${noProxy.ignored.join(", ")}`);
  }
  return { proxy, noProxy, source: `the environment variable ${variable}` };
}

/**
 * Parses a proxy URL, `http://[user:password@]host[:port]` (port 80 when absent; a bare
 * `host:port` is taken as http). Throws an Error that says what is wrong and never
 * repeats the password.
 */
export function parseProxyUrl(text: string): HttpConnectProxy {
  const trimmed = text.trim();
  if (trimmed === "") throw new Error("the proxy URL is empty: write it as http://host:port");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`"${hidePassword(trimmed)}" is not a URL: write the proxy as http://[user:password@]host[:port]`);
  }
  if (url.protocol !== "http:") {
    throw new Error(
      `"${hidePassword(trimmed)}" is a ${url.protocol.slice(0, -1)} proxy; channels tunnel only through HTTP proxies (http://host:port), with CONNECT`,
    );
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new Error(`"${hidePassword(trimmed)}" has a path, query or fragment; a proxy URL is http://[user:password@]host[:port]`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port === "" ? defaultProxyPort : Number(url.port);
  let credentials: string | undefined;
  if (url.username !== "" || url.password !== "") {
    try {
      credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw new Error(`"${hidePassword(trimmed)}" has credentials that are not valid percent-encoding`);
    }
  }
  return { address: formatHostPort(host, port), credentials };
}

/** The URL with its user information replaced, for messages. */
function hidePassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, (_all, scheme: string | undefined) => `${scheme ?? ""}***@`);
}
