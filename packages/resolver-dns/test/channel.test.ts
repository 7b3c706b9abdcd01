/**
 * A channel resolving its target through DNS (dnsmasq on loopback) reaches a grpckit
 * server over HTTP/2, and fails its calls with UNAVAILABLE when the name does not exist.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, resolverRegistry, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { dnsResolver, registerDnsResolver } from "../src/index.js";
import { Dnsmasq } from "./dnsmasq.js";

const transport = http2Transport();
const dns = new Dnsmasq();
let server: Server;
let port: number;
const channels: Channel[] = [];

beforeAll(async () => {
  await dns.start({ hosts: { "backend.test": ["127.0.0.1"] } });
  server = createServer({ transport });
  server.addService(EchoService, echoImpl());
  port = (await server.listen("127.0.0.1:0")).port!;
});

afterEach(() => {
  for (const c of channels.splice(0)) c.close();
});

afterAll(async () => {
  server?.forceShutdown();
  await dns.dispose();
});

function channel(target: string): Channel {
  const c = createChannel(target, { transport, resolvers: [dnsResolver()] });
  channels.push(c);
  return c;
}

describe("a channel with the dns resolver", () => {
  it("calls a server whose name the DNS server in the target resolves", async () => {
    const client = createClient(EchoService, channel(`dns://${dns.server}/backend.test:${port}`));
    const res = await client.echo({ message: "through dns" }, { timeoutMs: 5000 });
    expect(res.message).toBe("through dns");
  });

  it("calls a server on loopback through dns:///localhost:PORT, which the system resolves", async () => {
    const client = createClient(EchoService, channel(`dns:///localhost:${port}`));
    const res = await client.echo({ message: "through localhost" }, { timeoutMs: 5000 });
    expect(res.message).toBe("through localhost");
  });

  it("fails a call to a name that does not exist with UNAVAILABLE carrying the DNS error", async () => {
    const client = createClient(EchoService, channel(`dns://${dns.server}/nowhere.test:${port}`));
    const err = await client.echo({ message: "lost" }, { timeoutMs: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.UNAVAILABLE);
    expect((err as GrpcError).message).toContain("dns: A/AAAA lookup of nowhere.test failed");
    expect((err as GrpcError).message).toContain("ENOTFOUND");
  });

  // Registers in this test file's own worker process, so it is the file's last test.
  it("is not registered process-wide until registerDnsResolver is called, then takes bare host:port targets", async () => {
    expect(resolverRegistry.has("dns")).toBe(false);
    registerDnsResolver({ servers: [dns.server] });
    const c = createChannel(`backend.test:${port}`, { transport });
    channels.push(c);
    expect(c.target.scheme).toBe("dns");
    const res = await createClient(EchoService, c).echo({ message: "bare target" }, { timeoutMs: 5000 });
    expect(res.message).toBe("bare target");
  });
});
