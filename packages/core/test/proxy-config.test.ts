import { afterEach, describe, expect, it } from "vitest";
import { LogVerbosity, createChannel, getLogger, setLogVerbosity, setLogger, type Logger, type ResolverState } from "../src/index.js";
import { parseProxyUrl, proxyConfig } from "../src/client/proxy-config.js";
import { proxyRoute } from "../src/client/proxy-route.js";
import { parseTarget } from "../src/resolver/target.js";

const originalLogger = getLogger();
afterEach(() => {
  setLogger(originalLogger);
  setLogVerbosity(LogVerbosity.ERROR);
});

function captureLogs(): string[] {
  const lines: string[] = [];
  const logger: Logger = { error: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m) };
  setLogger(logger);
  return lines;
}

describe("proxy URLs", () => {
  it("reads host, port and percent-decoded credentials, with port 80 when absent", () => {
    expect(parseProxyUrl("http://proxy.corp.test:3128")).toEqual({ address: "proxy.corp.test:3128", credentials: undefined });
    expect(parseProxyUrl("http://proxy.corp.test/")).toEqual({ address: "proxy.corp.test:80", credentials: undefined });
    expect(parseProxyUrl("http://al%20ice:p%40ss%3Aword@[::1]:8888")).toEqual({ address: "[::1]:8888", credentials: "al ice:p@ss:word" });
    expect(parseProxyUrl("http://bob@10.0.0.1:8080")).toEqual({ address: "10.0.0.1:8080", credentials: "bob:" });
    // A bare host:port is an http proxy, as many environments write it.
    expect(parseProxyUrl(" proxy.corp.test:3128 ")).toEqual({ address: "proxy.corp.test:3128", credentials: undefined });
  });

  it("refuses other schemes, paths and malformed URLs, never repeating the password", () => {
    expect(() => parseProxyUrl("https://user:secret@proxy.test:443")).toThrow(
      '"https://***@proxy.test:443" is a https proxy; channels tunnel only through HTTP proxies (http://host:port), with CONNECT',
    );
    expect(() => parseProxyUrl("socks5://proxy.test:1080")).toThrow("is a socks5 proxy");
    expect(() => parseProxyUrl("http://proxy.test:3128/path")).toThrow("has a path, query or fragment");
    expect(() => parseProxyUrl("http://user:secret@proxy.test:99999")).toThrow('"http://***@proxy.test:99999" is not a URL');
    expect(() => parseProxyUrl("http://us%zzer:secret@proxy.test")).toThrow("credentials that are not valid percent-encoding");
    expect(() => parseProxyUrl("")).toThrow("the proxy URL is empty");
  });
});

describe("which proxy a channel uses", () => {
  const env = {
    grpc_proxy: "http://grpc.proxy.test:1",
    https_proxy: "http://lower.proxy.test:2",
    HTTPS_PROXY: "http://upper.proxy.test:3",
    no_grpc_proxy: "a.test",
    no_proxy: "b.test",
    NO_PROXY: "c.test",
  };

  it("reads grpc_proxy, then https_proxy, then HTTPS_PROXY, skipping empty ones", () => {
    expect(proxyConfig(undefined, env)?.proxy.address).toBe("grpc.proxy.test:1");
    expect(proxyConfig(undefined, { ...env, grpc_proxy: "" })?.proxy.address).toBe("lower.proxy.test:2");
    expect(proxyConfig(undefined, { HTTPS_PROXY: env.HTTPS_PROXY })?.proxy.address).toBe("upper.proxy.test:3");
    expect(proxyConfig(undefined, { http_proxy: "http://plain.proxy.test:4" })).toBeUndefined();
    expect(proxyConfig(undefined, {})).toBeUndefined();
    expect(proxyConfig(undefined, env)?.source).toBe("the environment variable grpc_proxy");
  });

  it("reads no_grpc_proxy, then no_proxy, then NO_PROXY", () => {
    const matching = (e: NodeJS.ProcessEnv) => ["a.test", "b.test", "c.test"].filter((h) => proxyConfig(undefined, e)!.noProxy!.matches(h, 443));
    expect(matching(env)).toEqual(["a.test"]);
    expect(matching({ ...env, no_grpc_proxy: undefined })).toEqual(["b.test"]);
    expect(matching({ ...env, no_grpc_proxy: "", no_proxy: "" })).toEqual(["c.test"]);
  });

  it("takes the channel's option over the environment, no-proxy list included, and false for no proxy at all", () => {
    const chosen = proxyConfig("http://option.proxy.test:5", env);
    expect(chosen).toEqual({ proxy: { address: "option.proxy.test:5", credentials: undefined }, noProxy: undefined, source: "the proxy option" });
    expect(proxyConfig(false, env)).toBeUndefined();
  });

  it("refuses a bad proxy option when the channel is created", () => {
    expect(() => createChannel("localhost:50051", { proxy: "socks5://proxy.test:1080" })).toThrow(
      "the channel's proxy option: \"socks5://proxy.test:1080\" is a socks5 proxy; channels tunnel only through HTTP proxies (http://host:port), with CONNECT",
    );
  });

  it("logs a bad proxy in the environment and connects without one", () => {
    const lines = captureLogs();
    expect(proxyConfig(undefined, { https_proxy: "socks5://user:secret@proxy.test:1080" })).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'ignoring the environment variable https_proxy, connecting without a proxy: "socks5://***@proxy.test:1080" is a socks5 proxy',
    );
    expect(lines[0]).not.toContain("secret");
  });

  it("logs the no-proxy entries it cannot read", () => {
    const lines = captureLogs();
    proxyConfig(undefined, { https_proxy: "http://proxy.test:3128", NO_PROXY: "ok.test,10.0.0.0/40" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("NO_PROXY: ignoring entries that are no host name, IP address or CIDR block: 10.0.0.0/40");
  });
});

describe("where the proxy applies", () => {
  const proxy = { address: "proxy.test:3128", credentials: undefined };
  const target = (raw: string) => parseTarget(raw, "dns", (s) => ["dns", "passthrough", "ipv4", "ipv6", "unix"].includes(s));
  const config = (noProxy?: string) => proxyConfig(undefined, { https_proxy: "http://proxy.test:3128", NO_PROXY: noProxy });

  /** The addresses a route's stand-in resolver reports. */
  async function resolved(route: ReturnType<typeof proxyRoute>, raw: string): Promise<string[]> {
    const state = await new Promise<ResolverState>((resolve, reject) => {
      route!.resolver!.build(target(raw), { updateState: resolve, reportError: reject }, { authority: "x" });
    });
    return state.endpoints.flatMap((e) => e.addresses.map((a) => a.addr));
  }

  it("does not resolve a dns target's name: the one address is the name and port, tunnelled to through the proxy", async () => {
    const route = proxyRoute(target("dns:///backend.corp.test:50051"), config());
    expect(await resolved(route, "dns:///backend.corp.test:50051")).toEqual(["backend.corp.test:50051"]);
    expect(route!.proxyFor("backend.corp.test:50051")).toEqual(proxy);
    // Port 443 when the target names none, as the dns resolver; a bare host:port is a dns target too.
    expect(await resolved(proxyRoute(target("backend.corp.test"), config()), "backend.corp.test")).toEqual(["backend.corp.test:443"]);
  });

  it("resolves a dns target on the no-proxy list as usual and connects directly", () => {
    expect(proxyRoute(target("dns:///backend.corp.test:50051"), config("corp.test"))).toBeUndefined();
    expect(proxyRoute(target("dns:///backend.corp.test:50051"), config("backend.corp.test:50051"))).toBeUndefined();
    expect(proxyRoute(target("dns:///backend.corp.test:50051"), config("backend.corp.test:443"))).toBeDefined();
  });

  it("tunnels to each IP address of other targets unless the no-proxy list names it", () => {
    const route = proxyRoute(target("ipv4:10.0.0.1:443,192.168.0.1:443"), config("192.168.0.0/16"))!;
    expect(route.resolver).toBeUndefined();
    expect(route.proxyFor("10.0.0.1:443")).toEqual(proxy);
    expect(route.proxyFor("192.168.0.1:443")).toBeUndefined();
    const literal = proxyRoute(target("dns:///[2001:db8::1]:443"), config("::1"))!;
    expect(literal.resolver).toBeUndefined();
    expect(literal.proxyFor("[2001:db8::1]:443")).toEqual(proxy);
    expect(literal.proxyFor("[::1]:443")).toBeUndefined();
  });

  it("never proxies unix sockets", () => {
    expect(proxyRoute(target("unix:///run/app.sock"), config())).toBeUndefined();
    expect(proxyRoute(target("passthrough:///unix:/run/app.sock"), config())!.proxyFor("unix:/run/app.sock")).toBeUndefined();
  });

  it("uses no proxy when none is configured", () => {
    expect(proxyRoute(target("dns:///backend.corp.test:50051"), undefined)).toBeUndefined();
  });
});
