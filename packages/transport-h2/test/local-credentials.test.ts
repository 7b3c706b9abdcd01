/**
 * Local credentials over transport-h2 on real sockets: a server on 127.0.0.1 and one on
 * a unix socket in a temporary directory, each called by a channel with local
 * credentials. The handler reports what the server's handshake learned and which
 * authorization header arrived, so the security level and the call-credentials rule
 * are checked as a user would see them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Code,
  GrpcError,
  bearerToken,
  createChannel,
  createClient,
  createServer,
  localCredentials,
  type Channel,
  type Server,
} from "@grpckit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { h2Transport } from "../src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";

/** A server whose Echo answers with the peer's AuthInfo and the authorization header it received. */
async function startServer(address: string): Promise<{ server: Server; target: string }> {
  const server = createServer({ transport: h2Transport(), credentials: localCredentials() });
  server.addService(EchoService, {
    echo: (_req, ctx) => ({
      message: JSON.stringify({ authInfo: ctx.peer.authInfo, authorization: ctx.metadata.get("authorization") ?? null }),
    }),
    // eslint-disable-next-line require-yield
    async *expand() {
      throw new GrpcError(Code.UNIMPLEMENTED, "not used here");
    },
  });
  const bound = await server.listen(address);
  return { server, target: address.startsWith("unix:") ? address : `127.0.0.1:${bound.port!}` };
}

interface Seen {
  authInfo: { type: string; securityLevel: string };
  authorization: string | null;
}

async function echoOver(channel: Channel): Promise<Seen> {
  const client = createClient(EchoService, channel);
  const res = await client.echo({ message: "hi" });
  return JSON.parse(res.message) as Seen;
}

describe("local credentials on transport-h2", () => {
  let dir: string;
  let tcp: { server: Server; target: string };
  let unix: { server: Server; target: string };
  const channels: Channel[] = [];

  function channel(target: string, withToken: boolean): Channel {
    const c = createChannel(target, {
      transport: h2Transport(),
      credentials: localCredentials(),
      ...(withToken && { callCredentials: bearerToken("local-secret") }),
    });
    channels.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "grpckit-local-creds-"));
    tcp = await startServer("127.0.0.1:0");
    unix = await startServer(`unix:${join(dir, "grpc.sock")}`);
  });

  afterAll(() => {
    for (const c of channels) c.close();
    tcp?.server.forceShutdown();
    unix?.server.forceShutdown();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("a call over TCP loopback succeeds, and the server sees security level none", async () => {
    const seen = await echoOver(channel(tcp.target, false));
    expect(seen.authInfo).toEqual({ type: "local", securityLevel: "none" });
    expect(seen.authorization).toBeNull();
  });

  it("a call over a unix socket succeeds, and the server sees privacy and integrity", async () => {
    const seen = await echoOver(channel(unix.target, false));
    expect(seen.authInfo).toEqual({ type: "local", securityLevel: "privacy" });
  });

  it("call credentials are sent over a unix socket without allowInsecureCallCredentials", async () => {
    const seen = await echoOver(channel(unix.target, true));
    expect(seen.authorization).toBe("Bearer local-secret");
  });

  it("call credentials are refused over TCP loopback, as on any insecure connection", async () => {
    const client = createClient(EchoService, channel(tcp.target, true));
    const err = await client.echo({ message: "hi" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.UNAUTHENTICATED);
    expect((err as GrpcError).rawMessage).toMatch(/security level is "none"/);
  });

  it("a connection that reaches a non-loopback address fails its handshake, and the call says why", async () => {
    // A real connection to the loopback server that reports 10.1.2.3 as its peer, as a
    // dialer that tunnels to another machine would hand over.
    const dialer = (address: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
        const socket = net.connect({ host, port }, () => {
          Object.defineProperty(socket, "remoteAddress", { value: "10.1.2.3" });
          resolve(socket);
        });
        socket.once("error", reject);
      });
    const c = createChannel(tcp.target, { transport: h2Transport(), credentials: localCredentials(), dialer });
    channels.push(c);
    const err = await createClient(EchoService, c)
      .echo({ message: "hi" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.UNAVAILABLE);
    expect((err as GrpcError).rawMessage).toContain("local credentials accept only unix sockets and loopback connections; 10.1.2.3 is neither");
  });
});
