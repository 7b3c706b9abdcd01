/**
 * Channels behind an HTTP CONNECT proxy (gRFC A1), through a real tinyproxy on loopback,
 * on both socket transports: the proxy the environment or the channel's option names,
 * no-proxy lists, basic credentials from the proxy URL, refusals quoted, and TLS to the
 * backend inside the tunnel with the backend's name. Each channel's dialer is its only
 * route out and records every address it is asked for.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createServer, type Channel, type Dialer, type Server, type TransportBuilder } from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials } from "@grpckit/credentials-tls";
import { registerDnsResolver } from "@grpckit/resolver-dns";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { readPem, testCaFile, testServerCertFile, testServerKeyFile } from "../src/test-certificates.js";
import { Tinyproxy } from "./proxy-tinyproxy.js";

registerDnsResolver();

const proxyVariables = ["grpc_proxy", "https_proxy", "HTTPS_PROXY", "no_grpc_proxy", "no_proxy", "NO_PROXY"] as const;

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];

/** A TLS backend (the interop certificate: localhost, 127.0.0.1, *.test.google.fr) counting its calls. */
interface Backend {
  server: Server;
  port: number;
  calls: number;
}

async function startBackend(makeTransport: () => TransportBuilder): Promise<Backend> {
  const server = createServer({
    transport: makeTransport(),
    credentials: tlsServerCredentials({ cert: readPem(testServerCertFile), key: readPem(testServerKeyFile) }),
  });
  const backend: Backend = { server, port: 0, calls: 0 };
  server.addService(TestService, {
    unaryCall(req) {
      backend.calls++;
      return { payload: req.payload };
    },
  });
  const { address } = await server.listen("127.0.0.1:0");
  backend.port = Number(address.slice(address.lastIndexOf(":") + 1));
  return backend;
}

/** Per transport: a backend the proxies let CONNECT reach, and one on a port they refuse. */
const backends = new Map<string, { allowed: Backend; unlisted: Backend }>();
let proxy: Tinyproxy;
let authProxy: Tinyproxy;

beforeAll(async () => {
  for (const [name, makeTransport] of transports) {
    backends.set(name, { allowed: await startBackend(makeTransport), unlisted: await startBackend(makeTransport) });
  }
  const connectPorts = [...backends.values()].map((b) => b.allowed.port);
  proxy = await Tinyproxy.start({ connectPorts });
  authProxy = await Tinyproxy.start({ connectPorts, basicAuth: { user: "grpckit", password: "s3cret" } });
});

afterAll(async () => {
  await proxy?.dispose();
  await authProxy?.dispose();
  for (const { allowed, unlisted } of backends.values()) {
    allowed.server.forceShutdown();
    unlisted.server.forceShutdown();
  }
});

const saved = new Map<string, string | undefined>();
const open: { channels: Channel[]; sockets: net.Socket[] } = { channels: [], sockets: [] };
beforeEach(() => {
  // The machine's own proxy settings play no part; each test sets what it needs.
  for (const name of proxyVariables) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
});
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.sockets.splice(0)) s.destroy();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * The channel's only route out: it connects to the addresses `reachable` allows (names
 * under test.google.fr stand for 127.0.0.1, as the network's DNS would have them),
 * refuses the rest, and records every address it was asked for.
 */
function routeOut(reachable: (address: string) => boolean) {
  const dialed: string[] = [];
  const dialer: Dialer = async (address) => {
    dialed.push(address);
    if (!reachable(address)) throw new Error(`no route to ${address}`);
    const { hostname, port } = new URL(`http://${address}`);
    const host = hostname.endsWith(".test.google.fr") ? "127.0.0.1" : hostname.replace(/^\[|\]$/g, "");
    const socket = net.connect({ host, port: Number(port) });
    open.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return socket;
  };
  return { dialer, dialed };
}

const onlyTheProxy = (p: Tinyproxy) => routeOut((address) => address === p.address);
const anythingButProxies = () => routeOut((address) => address !== proxy.address && address !== authProxy.address);

describe.each(transports)("HTTP CONNECT proxies on %s", (name, makeTransport) => {
  const backend = () => backends.get(name)!.allowed;
  const channel = (target: string, options: { dialer: Dialer; proxy?: string | false }) => {
    const c = createChannel(target, { transport: makeTransport(), credentials: tlsChannelCredentials({ ca: readPem(testCaFile) }), ...options });
    open.channels.push(c);
    return c;
  };
  const call = (c: Channel) => createClient(TestService, c).unaryCall({ payload: { body: new Uint8Array([1, 2, 3]) } });

  it("reaches a TLS backend whose only route out is the proxy HTTPS_PROXY names, asking it for the target by name", async () => {
    process.env.HTTPS_PROXY = proxy.url();
    const { dialer, dialed } = onlyTheProxy(proxy);
    const before = proxy.connectRequests().length;
    const served = backend().calls;
    const c = channel(`dns:///localhost:${backend().port}`, { dialer });
    for (let i = 0; i < 5; i++) expect([...((await call(c)).payload?.body ?? [])]).toEqual([1, 2, 3]);
    expect(backend().calls - served).toBe(5);
    // One connection, to the proxy: the channel never resolved "localhost" or dialed the backend.
    expect(dialed).toEqual([proxy.address]);
    const connects = await proxy.waitForConnects(before, 1);
    expect(connects).toEqual([`CONNECT localhost:${backend().port} HTTP/1.1`]);
    console.log(`[${name}] tinyproxy's log of the proxied channel:\n  ${proxy.connectLog().slice(-2).join("\n  ")}`);
  });

  it("tunnels to each address of an IP target, with the proxy from grpc_proxy", async () => {
    process.env.grpc_proxy = proxy.url();
    process.env.HTTPS_PROXY = "http://127.0.0.1:1";
    const { dialer, dialed } = onlyTheProxy(proxy);
    const before = proxy.connectRequests().length;
    await call(channel(`ipv4:127.0.0.1:${backend().port}`, { dialer }));
    expect(dialed).toEqual([proxy.address]);
    expect(await proxy.waitForConnects(before, 1)).toEqual([`CONNECT 127.0.0.1:${backend().port} HTTP/1.1`]);
  });

  it.each([
    ["a host name", "localhost", () => `dns:///localhost:${backend().port}`, () => `127.0.0.1:${backend().port}`],
    ["a domain", ".test.google.fr", () => `passthrough:///foo.test.google.fr:${backend().port}`, () => `foo.test.google.fr:${backend().port}`],
    ["a CIDR block", "10.0.0.0/8, 127.0.0.0/8", () => `ipv4:127.0.0.1:${backend().port}`, () => `127.0.0.1:${backend().port}`],
    ["*", "*", () => `dns:///localhost:${backend().port}`, () => `127.0.0.1:${backend().port}`],
  ])("connects directly to a target NO_PROXY names by %s (%s)", async (_kind, noProxy, target, direct) => {
    process.env.HTTPS_PROXY = proxy.url();
    process.env.NO_PROXY = noProxy;
    const { dialer, dialed } = anythingButProxies();
    const before = proxy.connectRequests().length;
    await call(channel(target(), { dialer }));
    expect(dialed).toEqual([direct()]);
    expect(proxy.connectRequests().slice(before)).toEqual([]);
  });

  it("sends the credentials of the proxy URL, and quotes the proxy's refusal when they are missing or wrong", async () => {
    process.env.https_proxy = authProxy.url("grpckit:s3cret");
    const { dialer, dialed } = onlyTheProxy(authProxy);
    const before = authProxy.connectRequests().length;
    await call(channel(`dns:///localhost:${backend().port}`, { dialer }));
    expect(dialed).toEqual([authProxy.address]);
    expect(await authProxy.waitForConnects(before, 1)).toEqual([`CONNECT localhost:${backend().port} HTTP/1.1`]);

    const missing = await call(channel(`dns:///localhost:${backend().port}`, { dialer: onlyTheProxy(authProxy).dialer, proxy: authProxy.url() })).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: Code.UNAVAILABLE,
      message: expect.stringContaining(
        `the proxy ${authProxy.address} refused CONNECT localhost:${backend().port}: HTTP/1.0 407 Proxy Authentication Required` +
          " (the proxy wants credentials: put them in the proxy URL, http://user:password@host:port)",
      ),
    });
    const wrong = await call(
      channel(`dns:///localhost:${backend().port}`, { dialer: onlyTheProxy(authProxy).dialer, proxy: authProxy.url("grpckit:guess") }),
    ).catch((e: unknown) => e);
    expect(wrong).toMatchObject({
      code: Code.UNAVAILABLE,
      // tinyproxy answers credentials it does not know with 401.
      message: expect.stringContaining(
        `the proxy ${authProxy.address} refused CONNECT localhost:${backend().port}: HTTP/1.0 401 Unauthorized (the proxy did not accept the credentials in the proxy URL)`,
      ),
    });
    console.log(`[${name}] without credentials: ${(missing as Error).message}\n[${name}] wrong credentials: ${(wrong as Error).message}`);
  });

  it("fails with UNAVAILABLE quoting the proxy's status line when it refuses the port", async () => {
    process.env.HTTPS_PROXY = proxy.url();
    const unlisted = backends.get(name)!.unlisted;
    const error = await call(channel(`dns:///localhost:${unlisted.port}`, { dialer: onlyTheProxy(proxy).dialer })).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: Code.UNAVAILABLE,
      message: expect.stringContaining(`the proxy ${proxy.address} refused CONNECT localhost:${unlisted.port}: HTTP/1.1 403 Access violation`),
    });
    expect(unlisted.calls).toBe(0);
    console.log(`[${name}] refused: ${(error as Error).message}`);
  });

  it("starts HTTP/2 on the server's first bytes when they come in one read with the proxy's answer", async () => {
    // A bare node:http2 h2c server speaks first (SETTINGS), as grpc-go's does; grpckit's
    // servers wait for the client's first bytes, to tell HTTP/2 from HTTP/1.1. This proxy
    // waits for the server's bytes and sends them in the same write as its 200, so the
    // client (on the transport under test) reads both at once and must hand the server's
    // to HTTP/2. The server answers each call OK with one empty message.
    const server = http2.createServer();
    server.on("stream", (stream) => {
      stream.resume();
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.alloc(5));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const together: string[] = [];
    const glued = net.createServer((client) => {
      client.on("error", () => {});
      client.once("data", (head: Buffer) => {
        const target = /^CONNECT (\S+) /.exec(head.toString("latin1"))![1]!;
        const upstream = net.connect(Number(target.slice(target.lastIndexOf(":") + 1)), "127.0.0.1");
        upstream.on("error", () => client.destroy());
        open.sockets.push(client, upstream);
        upstream.once("data", (first: Buffer) => {
          together.push(`HTTP/1.1 200 Connection established + ${first.length} bytes of the server's`);
          client.write(Buffer.concat([Buffer.from("HTTP/1.1 200 Connection established\r\n\r\n"), first]));
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
    });
    await new Promise<void>((resolve) => glued.listen(0, "127.0.0.1", resolve));
    try {
      const proxyAddress = `127.0.0.1:${(glued.address() as net.AddressInfo).port}`;
      const c = createChannel(`localhost:${address.slice(address.lastIndexOf(":") + 1)}`, {
        transport: makeTransport(),
        proxy: `http://${proxyAddress}`,
        dialer: routeOut((a) => a === proxyAddress).dialer,
      });
      open.channels.push(c);
      await createClient(TestService, c).unaryCall({});
      expect(together).toHaveLength(1);
      console.log(`[${name}] ${together[0]} in one write; the call succeeded`);
    } finally {
      glued.close();
      server.close();
    }
  });

  it("lets the proxy option override the environment, and proxy: false turn it off", async () => {
    process.env.HTTPS_PROXY = "http://127.0.0.1:1";
    process.env.NO_PROXY = "localhost";
    const viaOption = onlyTheProxy(proxy);
    const before = proxy.connectRequests().length;
    await call(channel(`dns:///localhost:${backend().port}`, { dialer: viaOption.dialer, proxy: proxy.url() }));
    expect(viaOption.dialed).toEqual([proxy.address]);
    expect(await proxy.waitForConnects(before, 1)).toEqual([`CONNECT localhost:${backend().port} HTTP/1.1`]);

    process.env.HTTPS_PROXY = proxy.url();
    process.env.NO_PROXY = "";
    const direct = anythingButProxies();
    await call(channel(`dns:///localhost:${backend().port}`, { dialer: direct.dialer, proxy: false }));
    expect(direct.dialed).toEqual([`127.0.0.1:${backend().port}`]);
  });
});
