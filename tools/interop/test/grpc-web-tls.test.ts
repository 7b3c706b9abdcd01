/**
 * One TLS port for gRPC and browsers, on both socket transports: ALPN "h2" carries gRPC
 * (from @grpc/grpc-js) and gRPC-Web over HTTP/2 (node:http2), ALPN "http/1.1" (or none)
 * carries gRPC-Web over HTTP/1.1 (node:https), and gRPC itself over HTTP/1.1 gets the
 * server's 505. Then HTTP/1.1 connections on a plain port: reported to channelz and stats
 * as HTTP/2 connections are, drained on shutdown even when they speak only after it
 * began, and closed by max connection age.
 */
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, createServer, enableChannelz, type Server, type ServerKeepaliveOptions, type StatsHandler, type TransportBuilder } from "@grpckit/core";
import { tlsServerCredentials } from "@grpckit/credentials-tls";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import {
  SimpleRequestSchema,
  SimpleResponseSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponseSchema,
} from "../src/gen/grpc/testing/messages_pb.js";
import { testServiceHandlers } from "../src/server.js";
import { defaultServerHostOverride, readPem, testCaFile, testServerCertFile, testServerKeyFile } from "../src/test-certificates.js";
import { grpcTesting, type JsSimpleResponse } from "./grpc-js-proto.js";

/** The interop test certificates: a test CA, and a server certificate naming foo.test.google.fr. */
const pki = { ca: readPem(testCaFile), server: { cert: readPem(testServerCertFile), key: readPem(testServerKeyFile) } };
const serverName = defaultServerHostOverride;

const open = { servers: [] as Server[], closers: [] as (() => void)[] };
afterEach(() => {
  for (const close of open.closers.splice(0)) close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

const transports: [string, (keepalive?: ServerKeepaliveOptions) => TransportBuilder][] = [
  ["transport-h2", (serverKeepalive) => h2Transport({ serverKeepalive })],
  ["transport-http2", (serverKeepalive) => http2Transport({ serverKeepalive })],
];

const unaryPath = "/grpc.testing.TestService/UnaryCall";
const streamingPath = "/grpc.testing.TestService/StreamingOutputCall";

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.byteLength);
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/** The frames of a gRPC-Web body: flags and payload of each. */
function splitFrames(body: Buffer): { flags: number; data: Buffer }[] {
  const frames: { flags: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 5 <= body.byteLength) {
    const length = body.readUInt32BE(at + 1);
    frames.push({ flags: body[at], data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  expect(at, "the body holds whole frames").toBe(body.byteLength);
  return frames;
}

/** The grpc-status in a trailer frame's header block. */
function trailerStatus(trailer: { data: Buffer }): string | undefined {
  return /^grpc-status:\s*(\d+)\r$/m.exec(trailer.data.toString("latin1"))?.[1];
}

const unaryRequest = (size: number) => frame(toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: size })));

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** What ALPN agreed on the connection that carried it (false: nothing). */
  readonly alpn: string | false | null | undefined;
}

/** One POST over HTTP/1.1 over TLS with node:https, offering `alpn` (no ALPN at all when undefined). */
function httpsPost(port: number, path: string, contentType: string, body: Uint8Array, alpn: string[] | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        servername: serverName,
        ca: pki.ca,
        agent: false,
        method: "POST",
        path,
        headers: { "content-type": contentType, "x-grpc-web": "1", "x-grpc-test-echo-initial": "over-tls" },
        ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), alpn: (res.socket as import("node:tls").TLSSocket).alpnProtocol }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** One POST over HTTP/2 over TLS with node:http2 (ALPN h2). */
function http2Post(port: number, path: string, contentType: string, body: Uint8Array): Promise<Answer> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: serverName });
  open.closers.push(() => session.destroy());
  return new Promise((resolve, reject) => {
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": contentType, "x-grpc-web": "1" });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => (headers = h));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks), alpn: session.alpnProtocol }));
    req.on("error", reject);
    req.end(body);
  });
}

/** A UnaryCall from @grpc/grpc-js over TLS (it offers ALPN h2 only). */
function grpcJsUnary(port: number, responseSize: number): Promise<JsSimpleResponse> {
  const client = new grpcTesting.TestService(`127.0.0.1:${port}`, grpc.credentials.createSsl(pki.ca), {
    "grpc.ssl_target_name_override": serverName,
  });
  open.closers.push(() => client.close());
  const call = (client as unknown as Record<string, Function>).unaryCall.bind(client) as (
    request: object,
    callback: (err: grpc.ServiceError | null, response?: JsSimpleResponse) => void,
  ) => void;
  return new Promise((resolve, reject) => call({ response_size: responseSize }, (err, response) => (err ? reject(err) : resolve(response!))));
}

describe.each(transports)("one TLS port for gRPC and gRPC-Web on %s", (_name, makeTransport) => {
  async function serveTls(allowHttp1?: boolean): Promise<number> {
    const server = createServer({ transport: makeTransport(), credentials: tlsServerCredentials({ ...pki.server, allowHttp1 }) });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    return (await server.listen("127.0.0.1:0")).port!;
  }

  it("answers gRPC-Web over HTTP/1.1 by ALPN http/1.1: a unary call and a server stream, the status in the trailer frame", async () => {
    const port = await serveTls();
    const unary = await httpsPost(port, unaryPath, "application/grpc-web+proto", unaryRequest(4), ["http/1.1"]);
    expect(unary.alpn).toBe("http/1.1");
    expect(unary.status).toBe(200);
    expect(unary.headers["content-type"]).toBe("application/grpc-web+proto");
    expect(unary.headers["x-grpc-test-echo-initial"]).toBe("over-tls");
    const [message, trailer] = splitFrames(unary.body);
    expect(fromBinary(SimpleResponseSchema, message.data).payload?.body.byteLength).toBe(4);
    expect(trailer.flags).toBe(0x80);
    expect(trailerStatus(trailer)).toBe("0");

    const request = toBinary(StreamingOutputCallRequestSchema, create(StreamingOutputCallRequestSchema, { responseParameters: [{ size: 1 }, { size: 2 }] }));
    const streamed = await httpsPost(port, streamingPath, "application/grpc-web", frame(request), ["http/1.1"]);
    const frames = splitFrames(streamed.body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0, 0x80]);
    expect(frames.slice(0, 2).map((f) => fromBinary(StreamingOutputCallResponseSchema, f.data).payload?.body.byteLength)).toEqual([1, 2]);
  });

  it("serves HTTP/1.1 to a client that offers no ALPN (node:https's default)", async () => {
    const port = await serveTls();
    const answer = await httpsPost(port, unaryPath, "application/grpc-web", unaryRequest(2), undefined);
    expect(answer.alpn).toBe(false);
    expect(splitFrames(answer.body).map((f) => f.flags)).toEqual([0, 0x80]);
  });

  it("answers gRPC-Web over HTTP/2 by ALPN h2, and @grpc/grpc-js's gRPC on the same port", async () => {
    const port = await serveTls();
    const answer = await http2Post(port, unaryPath, "application/grpc-web+proto", unaryRequest(3));
    expect(answer.alpn).toBe("h2");
    expect(answer.status).toBe(200);
    const [message, trailer] = splitFrames(answer.body);
    expect(fromBinary(SimpleResponseSchema, message.data).payload?.body.byteLength).toBe(3);
    expect(trailerStatus(trailer)).toBe("0");
    expect((await grpcJsUnary(port, 6)).payload?.body.length).toBe(6);
  });

  it("answers gRPC (application/grpc) from a client that agreed on http/1.1 with 505, saying it needs HTTP/2", async () => {
    const port = await serveTls();
    const answer = await httpsPost(port, unaryPath, "application/grpc", unaryRequest(1), ["http/1.1"]);
    expect(answer.alpn).toBe("http/1.1");
    expect(answer.status).toBe(505);
    expect(answer.headers["grpc-status"]).toBe(String(Code.UNIMPLEMENTED));
    expect(answer.headers["grpc-message"]).toContain("HTTP/2");
  });

  it("with allowHttp1 false refuses an http/1.1 client in the handshake, and gRPC still works", async () => {
    const port = await serveTls(false);
    await expect(httpsPost(port, unaryPath, "application/grpc-web", unaryRequest(1), ["http/1.1"])).rejects.toThrow(/no application protocol/);
    expect((await grpcJsUnary(port, 2)).payload?.body.length).toBe(2);
  });
});

/** A browser-like gRPC-Web POST over plain HTTP/1.1 (node's fetch speaks HTTP/1.1). */
async function fetchUnary(port: number, size: number): Promise<Buffer> {
  const res = await fetch(`http://127.0.0.1:${port}${unaryPath}`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: unaryRequest(size),
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe.each(transports)("HTTP/1.1 connections on a plain port of %s", (_name, makeTransport) => {
  /**
   * A server with a connection open but silent, so the listener cannot tell HTTP/2 from
   * HTTP/1.1 yet, and the server's shutdown begun.
   */
  async function shutdownWithSilentConnection(): Promise<{ shutdown: Promise<void>; socket: net.Socket; port: number }> {
    const server = createServer({ transport: makeTransport() });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    const port = (await server.listen("127.0.0.1:0")).port!;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    open.closers.push(() => socket.destroy());
    await new Promise((r) => setTimeout(r, 50));
    return { shutdown: server.shutdown(), socket, port };
  }

  it("answers gRPC-Web and reports each HTTP/1.1 connection to stats and channelz, with its calls", async () => {
    const registry = enableChannelz();
    const connections: { peer: string; events: string[] }[] = [];
    const stats: StatsHandler<unknown, { peer: string; events: string[] }> = {
      tagConnection: (info) => {
        const c = { peer: info.peer, events: [] as string[] };
        connections.push(c);
        return c;
      },
      handleConnection: (tag, event) => tag.events.push(event.type),
    };
    const server = createServer({ transport: makeTransport(), statsHandlers: [stats] });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    const { port } = await server.listen("127.0.0.1:0");

    // One keep-alive connection carries both calls.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    open.closers.push(() => agent.destroy());
    const post = () =>
      new Promise<Buffer>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, agent, method: "POST", path: unaryPath, headers: { "content-type": "application/grpc-web" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        });
        req.on("error", reject);
        req.end(unaryRequest(1));
      });
    expect(splitFrames(await post()).map((f) => f.flags)).toEqual([0, 0x80]);
    expect(splitFrames(await post()).map((f) => f.flags)).toEqual([0, 0x80]);
    expect(connections).toHaveLength(1);
    expect(connections[0].peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(connections[0].events).toEqual(["begin"]);

    const czServer = registry.serverList().items.at(-1)!;
    const sockets = registry.serverSockets(czServer).items;
    expect(sockets).toHaveLength(1);
    expect(sockets[0].remote).toBe(connections[0].peer);
    expect(sockets[0].streamsStarted).toBe(2);
    expect(sockets[0].streamsSucceeded).toBe(2);

    agent.destroy();
    for (let i = 0; i < 500 && connections[0].events.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(connections[0].events).toEqual(["begin", "end"]);
    expect(registry.serverSockets(czServer).items).toHaveLength(0);
  });

  it("a connection whose HTTP/1.1 request comes after shutdown began is answered with Connection: close, and the shutdown finishes", async () => {
    const { shutdown, socket } = await shutdownWithSilentConnection();
    const body = unaryRequest(2);
    socket.write(`POST ${unaryPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc-web\r\nContent-Length: ${body.byteLength}\r\n\r\n`);
    socket.write(body);
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const text = Buffer.concat(received).toString("latin1");
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).toContain("connection: close");
    await shutdown;
  });

  it("a connection whose HTTP/2 preface comes after shutdown began is sent GOAWAY, and the shutdown finishes", async () => {
    const { shutdown, socket, port } = await shutdownWithSilentConnection();
    const session = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => socket });
    open.closers.push(() => session.destroy());
    session.on("error", () => {});
    await new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once("close", () => resolve())));
    await shutdown;
  });

  it("max connection age closes a busy HTTP/1.1 connection between requests, so a keep-alive client moves to a new one", async () => {
    const server = createServer({ transport: makeTransport({ maxConnectionAgeMs: 300 }) });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    const { port } = await server.listen("127.0.0.1:0");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    open.closers.push(() => agent.destroy());
    const sockets = new Set<number>();
    let answered = 0;
    let cutShort = 0;
    const post = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, agent, method: "POST", path: unaryPath, headers: { "content-type": "application/grpc-web" } }, (res) => {
          sockets.add(res.socket.localPort!);
          res.resume();
          res.on("end", () => {
            answered++;
            resolve();
          });
        });
        req.on("error", reject);
        req.end(unaryRequest(1));
      });
    // Past twice the age (and its 10% jitter), well short of node:http's own 5 s keep-alive timeout between requests.
    const until = Date.now() + 1000;
    for (let i = 0; i < 200 && Date.now() < until; i++) {
      try {
        await post();
      } catch (e) {
        // A request written as the server closed the idle connection: HTTP/1.1's race, a client sends it again.
        if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") throw e;
        cutShort++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`max age 300 ms over HTTP/1.1: ${answered} answered, ${cutShort} cut short by a close, ${sockets.size} connections`);
    expect(answered).toBeGreaterThan(0);
    expect(sockets.size).toBeGreaterThanOrEqual(2);
  });
});
