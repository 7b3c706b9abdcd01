/**
 * gRPC over HTTP/2 as doc/PROTOCOL-HTTP2.md specifies it, checked with hand-made
 * requests from node:http2 (no grpckit on the client side) against a grpckit server.
 */
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { createServer, type Server } from "@grpckit/core";
import { http2Transport } from "../src/index.js";
import { EchoRequestSchema, EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";

interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
}

let server: Server;
let session: http2.ClientHttp2Session;
const limit = 64 * 1024;

beforeAll(async () => {
  server = createServer({ transport: http2Transport(), maxReceiveMessageBytes: limit });
  server.addService(EchoService, echoImpl());
  const { port } = await server.listen("127.0.0.1:0");
  session = http2.connect(`http://127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
});

afterAll(async () => {
  session?.close();
  server?.forceShutdown();
});

function frame(payload: Uint8Array, declaredLength = payload.byteLength): Buffer {
  const b = Buffer.alloc(5 + payload.byteLength);
  b.writeUInt8(0, 0);
  b.writeUInt32BE(declaredLength, 1);
  b.set(payload, 5);
  return b;
}

function echoRequest(message: string, delayMs = 0): Uint8Array {
  return toBinary(EchoRequestSchema, create(EchoRequestSchema, { message, delayMs }));
}

function raw(headers: http2.OutgoingHttpHeaders, body: Uint8Array): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": "/grpckit.test.v1.EchoService/Echo",
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on("response", (h) => (responseHeaders = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
    req.end(body);
  });
}

function statusOf(r: RawResponse): { code: string | undefined; message: string | undefined } {
  const src = r.trailers ?? r.headers;
  return { code: src["grpc-status"] as string | undefined, message: src["grpc-message"] as string | undefined };
}

async function expectServerStillAnswers(): Promise<void> {
  const r = await raw({}, frame(echoRequest("still here")));
  expect(statusOf(r).code).toBe("0");
  expect(r.body.subarray(5).toString()).toContain("still here");
}

describe("a grpckit server answering hand-made HTTP/2 requests", () => {
  it("a normal request gets headers, one framed message and grpc-status 0 in trailers", async () => {
    const r = await raw({}, frame(echoRequest("hi")));
    expect(r.headers[":status"]).toBe(200);
    expect(r.headers["content-type"]).toBe("application/grpc");
    expect(r.body.readUInt32BE(1)).toBe(r.body.byteLength - 5);
    expect(r.trailers?.["grpc-status"]).toBe("0");
  });

  it("content-type text/plain gets HTTP 415", async () => {
    const r = await raw({ "content-type": "text/plain" }, Buffer.from("hello"));
    expect(r.headers[":status"]).toBe(415);
    await expectServerStillAnswers();
  });

  it("an unknown method gets a trailers-only UNIMPLEMENTED", async () => {
    const r = await raw({ ":path": "/grpckit.test.v1.EchoService/Nope" }, frame(echoRequest("x")));
    expect(r.headers[":status"]).toBe(200);
    expect(r.headers["grpc-status"]).toBe("12");
    expect(r.trailers).toBeUndefined();
    expect(r.body.byteLength).toBe(0);
    await expectServerStillAnswers();
  });

  it("a grpc-timeout of 1m ends a slow call with DEADLINE_EXCEEDED", async () => {
    const r = await raw({ "grpc-timeout": "1m" }, frame(echoRequest("slow", 2000)));
    expect(statusOf(r).code).toBe("4");
    await expectServerStillAnswers();
  });

  it("a malformed grpc-timeout gets a clean INTERNAL status naming the header", async () => {
    const r = await raw({ "grpc-timeout": "soon" }, frame(echoRequest("x")));
    expect(statusOf(r).code).toBe("13");
    expect(statusOf(r).message).toContain("grpc-timeout");
    await expectServerStillAnswers();
  });

  it("a length prefix over the receive limit gets RESOURCE_EXHAUSTED", async () => {
    const r = await raw({}, frame(new Uint8Array(16), limit + 1));
    expect(statusOf(r).code).toBe("8");
    expect(decodeURIComponent(statusOf(r).message ?? "")).toContain(String(limit));
    await expectServerStillAnswers();
  });

  it("invalid base64 in a -bin header gets INTERNAL naming the key", async () => {
    const r = await raw({ "x-broken-bin": "not*base64!" }, frame(echoRequest("x")));
    expect(statusOf(r).code).toBe("13");
    expect(decodeURIComponent(statusOf(r).message ?? "")).toContain("x-broken-bin");
    await expectServerStillAnswers();
  });

  it("a frame cut off at the end of the stream gets INTERNAL", async () => {
    const whole = frame(echoRequest("cut short"));
    const r = await raw({}, whole.subarray(0, whole.byteLength - 3));
    expect(statusOf(r).code).toBe("13");
    await expectServerStillAnswers();
  });
});
