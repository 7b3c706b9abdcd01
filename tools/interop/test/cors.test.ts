/**
 * CORS on a grpckit server, as a browser meets it: the preflight a page's cross-origin
 * call starts with, answered before any tap or handler, and the headers on the call's
 * response that let the page read the status and metadata. Over HTTP/2 on both socket
 * transports, and over HTTP/1.1 (what a page on plain http:// uses) on transport-h2.
 */
import http from "node:http";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { createServer, type CorsOptions, type Server, type ServerTap, type TransportBuilder } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { SimpleRequestSchema } from "../src/gen/grpc/testing/messages_pb.js";
import { testServiceHandlers } from "../src/server.js";

const open: { servers: Server[]; sessions: http2.ClientHttp2Session[] } = { servers: [], sessions: [] };
afterEach(() => {
  for (const s of open.sessions.splice(0)) s.destroy();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

const page = "http://127.0.0.1:8080";
const unaryPath = "/grpc.testing.TestService/UnaryCall";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

type Send = (port: number, method: string, path: string, headers: Record<string, string>, body?: Uint8Array) => Promise<Answer>;

const overHttp2: Send = (port, method, path, headers, body) => {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  open.sessions.push(session);
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": method, ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let response: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => (response = h));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status: Number(response[":status"]), headers: response, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
};

const overHttp1: Send = (port, method, path, headers, body) =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });

function webFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.byteLength);
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

const unaryRequest = webFrame(toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 4 })));

function names(value: string | string[] | undefined): string[] {
  return String(value ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
}

const cases: [string, () => TransportBuilder, Send][] = [
  ["transport-h2 over HTTP/2", () => h2Transport(), overHttp2],
  ["transport-http2 over HTTP/2", () => http2Transport(), overHttp2],
  ["transport-h2 over HTTP/1.1", () => h2Transport(), overHttp1],
];

describe.each(cases)("CORS on %s", (_name, makeTransport, send) => {
  async function serve(cors: CorsOptions | undefined, taps?: ServerTap[]): Promise<number> {
    const server = createServer({ transport: makeTransport(), cors, taps });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    return (await server.listen("127.0.0.1:0")).port!;
  }

  const preflight = (port: number, origin: string, requestHeaders: string) =>
    send(port, "OPTIONS", unaryPath, {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": requestHeaders,
    });

  it("answers an allowed origin's preflight with the methods and headers a page may send, before any tap", async () => {
    let tapped = 0;
    const port = await serve({ allowedOrigins: [page], allowedHeaders: ["x-tenant"] }, [() => void tapped++]);
    const res = await preflight(port, page, "content-type,x-grpc-web,x-tenant");
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(page);
    expect(names(res.headers["access-control-allow-methods"])).toEqual(expect.arrayContaining(["POST", "GET"]));
    expect(names(res.headers["access-control-allow-headers"])).toEqual(
      expect.arrayContaining(["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "connect-protocol-version", "connect-timeout-ms", "x-tenant"]),
    );
    expect(res.headers["access-control-max-age"]).toBe("7200");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(names(res.headers.vary)).toContain("origin");
    expect(res.body.byteLength).toBe(0);
    expect(tapped).toBe(0);
  });

  it("gives another origin's preflight no allow headers, which the browser reads as a refusal", async () => {
    const port = await serve({ allowedOrigins: [page] });
    const res = await preflight(port, "http://127.0.0.1:9999", "content-type");
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["access-control-allow-headers"]).toBeUndefined();
  });

  it("marks an allowed origin's call so the page can read its status and metadata", async () => {
    const port = await serve({ allowedOrigins: (origin) => origin.startsWith("http://127.0.0.1:"), exposedHeaders: ["x-grpc-test-echo-initial"] });
    const res = await send(
      port,
      "POST",
      unaryPath,
      { origin: page, "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x-grpc-test-echo-initial": "hi" },
      unaryRequest,
    );
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc-web+proto");
    expect(res.headers["x-grpc-test-echo-initial"]).toBe("hi");
    expect(res.headers["access-control-allow-origin"]).toBe(page);
    expect(names(res.headers["access-control-expose-headers"])).toEqual(
      expect.arrayContaining(["grpc-status", "grpc-message", "grpc-status-details-bin", "x-grpc-test-echo-initial"]),
    );
    // The call itself ran: a message frame then the 0x80 trailer frame.
    expect(res.body[0]).toBe(0);
    expect(res.body.includes(Buffer.from("grpc-status: 0"))).toBe(true);
  });

  it("marks refusals too, so the page reads why its call failed", async () => {
    const port = await serve({ allowedOrigins: [page] });
    const res = await send(port, "POST", "/grpc.testing.TestService/NoSuchMethod", { origin: page, "content-type": "application/grpc-web+proto" }, unaryRequest);
    expect(res.headers["access-control-allow-origin"]).toBe(page);
    expect(res.headers["grpc-status"]).toBe("12");
    expect(res.headers["grpc-message"]).toContain("NoSuchMethod");
  });

  it("sends nothing for a disallowed origin's call, and nothing at all without the option", async () => {
    const port = await serve({ allowedOrigins: [page] });
    const other = await send(port, "POST", unaryPath, { origin: "http://evil.test", "content-type": "application/grpc-web+proto" }, unaryRequest);
    expect(other.status).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();

    const plain = await serve(undefined);
    const pre = await preflight(plain, page, "content-type");
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    expect(pre.status).not.toBe(204);
    const call = await send(plain, "POST", unaryPath, { origin: page, "content-type": "application/grpc-web+proto" }, unaryRequest);
    expect(call.status).toBe(200);
    expect(call.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers any origin with * and, when credentials are allowed, with the origin itself", async () => {
    const any = await serve({ allowedOrigins: "*" });
    expect((await preflight(any, "https://a.example", "content-type")).headers["access-control-allow-origin"]).toBe("*");
    const withCredentials = await serve({ allowedOrigins: "*", allowCredentials: true, maxAgeSeconds: 60 });
    const res = await preflight(withCredentials, "https://a.example", "content-type");
    expect(res.headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-max-age"]).toBe("60");
  });
});

describe("CORS options", () => {
  it("refuses origins and header names a browser could never match, saying how to write them", () => {
    expect(() => createServer({ transport: h2Transport(), cors: { allowedOrigins: ["https://app.example/"] } })).toThrow(/not an origin; write scheme:\/\/host\[:port\]/);
    expect(() => createServer({ transport: h2Transport(), cors: { allowedOrigins: ["app.example"] } })).toThrow(/not an origin/);
    expect(() => createServer({ transport: h2Transport(), cors: { allowedOrigins: ["*", "https://a.example"] } })).toThrow(/pass "\*" alone/);
    expect(() => createServer({ transport: h2Transport(), cors: { allowedOrigins: "*", allowedHeaders: ["bad header"] } })).toThrow(/"bad header" is not a header name/);
    expect(() => createServer({ transport: h2Transport(), cors: { allowedOrigins: "*", maxAgeSeconds: -1 } })).toThrow(/maxAgeSeconds/);
  });
});
