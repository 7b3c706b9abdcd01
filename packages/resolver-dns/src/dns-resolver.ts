/**
 * The dns resolver: looks a target's host up (its addresses, plus the TXT record
 * `_grpc_config.<host>` for service config) and hands the channel one endpoint per
 * address. It re-resolves when the channel asks, at most once per minimum interval,
 * and retries a failed lookup by itself with exponential backoff.
 *
 * Addresses come from the system's resolver (getaddrinfo: /etc/hosts, then DNS, as
 * configured), unless a DNS server is named, in the target's authority or in the
 * `servers` option: then A and AAAA records are asked of that server directly.
 */
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";
import { Resolver as NodeDnsResolver, lookup as systemLookup } from "node:dns/promises";
import { Backoff, registerResolver, type BackoffOptions, type Endpoint, type Resolver, type ResolverBuilder, type ResolverClientConn, type Target } from "@grpckit/core";
import { joinHostPort, parseDnsTarget, type DnsTarget } from "./dns-target.js";
import { chooseServiceConfig } from "./service-config-choice.js";

export interface DnsResolverOptions {
  /**
   * DNS servers to ask ("ip" or "ip:port") for A, AAAA and TXT records, instead of the
   * system's resolver. A server in the target's authority (`dns://10.0.0.2:53/host`)
   * takes precedence over these.
   */
  servers?: string[];
  /** The shortest time between two resolutions, in ms; resolveNow() inside it waits for its end. Default 30000. */
  minResolutionIntervalMs?: number;
  /** How long one resolution may take before it is reported as failed, in ms. Default 30000. */
  resolveTimeoutMs?: number;
  /** Look up service config in `_grpc_config.<host>` TXT records. Default true. */
  enableServiceConfig?: boolean;
  /** The host name matched against a service config choice's clientHostname; os.hostname() by default. */
  clientHostname?: string;
  /**
   * Delays between retries after a failed lookup: the resolver tries again by itself,
   * as grpc-go's does, since a channel with no addresses has nothing to ask it again.
   * Default: 1 s growing by 1.6 up to 120 s, ±20% jitter.
   */
  retryBackoff?: BackoffOptions;
}

const defaultMinResolutionIntervalMs = 30_000;
const defaultResolveTimeoutMs = 30_000;

/**
 * A ResolverBuilder for the "dns" scheme. Targets: `dns:///host:port`, `dns:///host`
 * (port 443), `dns://dns-server:53/host:port`, IP literals (no lookup), `[v6]:port`.
 *
 * `dns:///host` resolves through the system (getaddrinfo), so names from /etc/hosts
 * such as `localhost` work; `dns://dns-server/host` and the `servers` option ask that
 * DNS server for A and AAAA records instead. Service config TXT records always come
 * from DNS: the named server, else the system's configured servers.
 *
 * Addresses are ordered IPv6 and IPv4 alternately, IPv6 first, each family in the order
 * the resolver returned it (the interleaving RFC 8305 recommends, so pick_first tries
 * both families early). A service config TXT record that is missing, fails to load or is
 * malformed is ignored: the addresses are delivered without a service config.
 *
 * @example
 * const channel = createChannel("dns:///api.internal:50051", { transport: http2Transport(), resolvers: [dnsResolver()] });
 */
export function dnsResolver(options: DnsResolverOptions = {}): ResolverBuilder {
  const settings: Settings = {
    servers: options.servers,
    minIntervalMs: options.minResolutionIntervalMs ?? defaultMinResolutionIntervalMs,
    timeoutMs: options.resolveTimeoutMs ?? defaultResolveTimeoutMs,
    serviceConfig: options.enableServiceConfig ?? true,
    hostname: options.clientHostname,
    retryBackoff: options.retryBackoff,
  };
  return {
    name: "dns",
    build(target, cc) {
      return new DnsResolver(target, cc, settings);
    },
  };
}

/** Registers dnsResolver(options) process-wide, making "dns" the scheme of bare "host:port" targets. */
export function registerDnsResolver(options?: DnsResolverOptions): void {
  registerResolver(dnsResolver(options));
}

interface Settings {
  readonly servers: string[] | undefined;
  readonly minIntervalMs: number;
  readonly timeoutMs: number;
  readonly serviceConfig: boolean;
  readonly hostname: string | undefined;
  readonly retryBackoff: BackoffOptions | undefined;
}

class DnsResolver implements Resolver {
  private closed = false;
  private inFlight = false;
  /** A resolveNow() arrived while resolving or inside the interval: one more resolution is due. */
  private pending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastDone = 0;
  private readonly target: DnsTarget | undefined;
  private readonly dns: NodeDnsResolver | undefined;
  /** A DNS server was named: A and AAAA records are asked of it rather than of the system's resolver. */
  private readonly direct: boolean;
  private backoff: Backoff | undefined;

  constructor(
    raw: Target,
    private readonly cc: ResolverClientConn,
    private readonly settings: Settings,
  ) {
    let target: DnsTarget | undefined;
    let error: Error | undefined;
    try {
      target = parseDnsTarget(raw);
    } catch (e) {
      error = e as Error;
    }
    this.target = target;
    this.direct = target?.server !== undefined || (settings.servers !== undefined && settings.servers.length > 0);
    if (target === undefined) {
      this.reportSoon(error!);
      return;
    }
    if (isIP(target.host) !== 0) {
      const addr = joinHostPort(target.host, target.port);
      queueMicrotask(() => {
        if (!this.closed) cc.updateState({ endpoints: [{ addresses: [{ addr }] }] });
      });
      return;
    }
    const dns = new NodeDnsResolver();
    const servers = target.server !== undefined ? [target.server] : settings.servers;
    try {
      if (servers !== undefined && servers.length > 0) dns.setServers(servers);
    } catch (e) {
      this.reportSoon(new Error(`dns: invalid DNS servers ${JSON.stringify(servers)}: ${(e as Error).message}`));
      return;
    }
    this.dns = dns;
    this.start();
  }

  resolveNow(): void {
    if (this.closed || this.dns === undefined || this.pending) return;
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    const wait = this.lastDone + this.settings.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.start();
      return;
    }
    this.pending = true;
    this.schedule(wait);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dns?.cancel();
  }

  private reportSoon(error: Error): void {
    queueMicrotask(() => {
      if (!this.closed) this.cc.reportError(error);
    });
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pending = false;
      this.start();
    }, ms);
    this.timer.unref();
  }

  private start(): void {
    this.inFlight = true;
    void this.resolve().then((ok) => {
      this.inFlight = false;
      this.lastDone = Date.now();
      if (this.closed) return;
      if (!ok) {
        this.backoff ??= new Backoff(this.settings.retryBackoff);
        this.pending = true;
        this.schedule(this.backoff.next());
        return;
      }
      this.backoff?.reset();
      if (this.pending) this.schedule(this.settings.minIntervalMs);
    });
  }

  /** One resolution; delivers its outcome unless closed meanwhile and says whether it found addresses. Never rejects. */
  private async resolve(): Promise<boolean> {
    const dns = this.dns!;
    const { host, port } = this.target!;
    let timedOut = false;
    let onTimeout!: () => void;
    const timeout = new Promise<void>((resolve) => (onTimeout = resolve));
    const timer = setTimeout(() => {
      timedOut = true;
      dns.cancel();
      onTimeout();
    }, this.settings.timeoutMs);
    timer.unref();
    // A system lookup cannot be cancelled: the timeout races it, and its late answer is dropped.
    const [addresses, txt] = await Promise.all([
      Promise.race([this.direct ? directLookup(dns, host) : systemAddresses(host), timeout]),
      Promise.allSettled([this.settings.serviceConfig && !isLocalhostName(host) ? dns.resolveTxt(`_grpc_config.${host}`) : Promise.resolve([])]),
    ]);
    clearTimeout(timer);
    if (this.closed) return false;
    // A TXT lookup still running at the timeout is cancelled; addresses found by then are delivered.
    if (addresses === undefined || (timedOut && "error" in addresses)) {
      this.cc.reportError(new Error(`dns: A/AAAA lookup of ${host} timed out after ${this.settings.timeoutMs} ms`));
      return false;
    }
    if ("error" in addresses) {
      this.cc.reportError(new Error(`dns: A/AAAA lookup of ${host} failed: ${addresses.error}`));
      return false;
    }
    const { six, four } = addresses;
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < six.length || i < four.length; i++) {
      if (i < six.length) endpoints.push({ addresses: [{ addr: joinHostPort(six[i], port) }] });
      if (i < four.length) endpoints.push({ addresses: [{ addr: joinHostPort(four[i], port) }] });
    }
    const serviceConfig =
      txt[0].status === "fulfilled"
        ? chooseServiceConfig(txt[0].value, {
            hostname: this.settings.hostname ?? osHostname(),
            draw: Math.floor(Math.random() * 100),
          })
        : undefined;
    this.cc.updateState(serviceConfig === undefined ? { endpoints } : { endpoints, serviceConfig });
    return true;
  }
}

/**
 * localhost and names under it: RFC 6761 (6.3) has resolvers answer them locally and
 * send no query for them to DNS servers, so no TXT record is asked for.
 */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** A host's addresses by family, or why there are none. */
type Addresses = { six: string[]; four: string[] } | { error: string };

/** A and AAAA records asked of the DNS server `dns` was set to. */
async function directLookup(dns: NodeDnsResolver, host: string): Promise<Addresses> {
  const [v6, v4] = await Promise.allSettled([dns.resolve6(host), dns.resolve4(host)]);
  const six = v6.status === "fulfilled" ? v6.value : [];
  const four = v4.status === "fulfilled" ? v4.value : [];
  if (six.length === 0 && four.length === 0) return { error: lookupFailure(v4, v6) };
  return { six, four };
}

/** The addresses the system's resolver (getaddrinfo) gives, in its order within each family. */
async function systemAddresses(host: string): Promise<Addresses> {
  try {
    const found = await systemLookup(host, { all: true, order: "verbatim" });
    const six = found.filter((a) => a.family === 6).map((a) => a.address);
    const four = found.filter((a) => a.family === 4).map((a) => a.address);
    if (six.length === 0 && four.length === 0) return { error: "no addresses" };
    return { six, four };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The most telling DNS error of the two lookups: A's, unless A merely had no records and AAAA failed otherwise. */
function lookupFailure(v4: PromiseSettledResult<string[]>, v6: PromiseSettledResult<string[]>): string {
  const e4 = v4.status === "rejected" ? (v4.reason as NodeJS.ErrnoException) : undefined;
  const e6 = v6.status === "rejected" ? (v6.reason as NodeJS.ErrnoException) : undefined;
  const pick = e4 === undefined || (e4.code === "ENODATA" && e6 !== undefined && e6.code !== "ENODATA") ? e6 : e4;
  return pick?.message ?? "no A or AAAA records";
}
