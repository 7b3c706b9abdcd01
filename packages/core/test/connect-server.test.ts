/**
 * Connect requests (connectrpc.com/docs/protocol) to a grpckit server, byte for byte,
 * over the in-memory transport: the adapter streams turn them into gRPC calls and the
 * calls' answers into Connect responses. Real clients over sockets are in
 * tools/interop/test/connect.test.ts.
 */
import { gzipSync, gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createServer, insecureCredentials, createInMemoryTransport, type Server, type TransportBuilder, type ServerOptions } from "../src/index.js";
import type { Http2Headers } from "../src/transport/transport.js";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "./gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "./support/echo-service.js";

const open: Server[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.forceShutdown();
});

interface Exchange {
  readonly headers: Http2Headers;
  readonly body: Buffer;
  readonly trailers: Http2Headers | undefined;
}

let served = 0;

async function serve(options: Omit<ServerOptions, "transport"> = {}): Promise<(headers: Http2Headers, body: Uint8Array[]) => Promise<Exchange>> {
  const transport: TransportBuilder = createInMemoryTransport();
  const server = createServer({ ...options, transport });
  server.addService(EchoService, echoImpl());
  open.push(server);
  const name = `connect-${served++}`;
  await server.listen(name);
  const client = await transport.connect(name, { authority: name, credentials: insecureCredentials(), onGoaway: () => {}, onClose: () => {} });
  return (headers, body) =>
    new Promise((resolve, reject) => {
      let head: Http2Headers = {};
      let trailers: Http2Headers | undefined;
      const chunks: Buffer[] = [];
      const stream = client.openStream(
        { ":scheme": "http", ":authority": name, ...headers },
        {
          onHeaders: (h) => (head = h),
          onData: (c) => chunks.push(Buffer.from(c)),
          onTrailers: (t) => (trailers = t),
          onDrain: () => {},
          onClose: (rst, error) => (rst === undefined ? resolve({ headers: head, body: Buffer.concat(chunks), trailers }) : reject(error ?? new Error(`reset ${rst}`))),
        },
      );
      for (const b of body) stream.write(b);
      stream.end();
    });
}

const echoPath = "/grpckit.test.v1.EchoService/Echo";
const chatPath = "/grpckit.test.v1.EchoService/Chat";

function post(path: string, contentType: string, extra: Http2Headers = {}): Http2Headers {
  return { ":method": "POST", ":path": path, "content-type": contentType, ...extra };
}

function envelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, 5);
  return out;
}

function envelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at < body.byteLength; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at], data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

describe("a unary Connect call", () => {
  it("answers 200 with the bare message, header metadata as headers and trailing metadata as trailer- headers", async () => {
    const call = await serve();
    const request = toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "hi" }));
    const res = await call(post(echoPath, "application/proto", { "connect-protocol-version": "1", "x-echo": "e" }), [request]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-type"]).toBe("application/proto");
    expect(res.headers["x-echo"]).toBe("e");
    expect(res.headers["trailer-x-trailer"]).toBe("done");
    expect(res.headers["grpc-status"]).toBeUndefined();
    expect(res.headers["content-length"]).toBe(String(res.body.byteLength));
    expect(fromBinary(EchoResponseSchema, res.body).message).toBe("hi");
    // Nothing rides in HTTP trailers: a browser could not read them.
    expect(Object.keys(res.trailers ?? {})).toEqual([]);
  });

  it("reads a JSON body sent in pieces", async () => {
    const call = await serve();
    const json = Buffer.from('{"message":"in pieces"}');
    const res = await call(post(echoPath, "application/json; charset=utf-8"), [json.subarray(0, 3), json.subarray(3, 10), json.subarray(10)]);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(res.body.toString())).toEqual({ message: "in pieces" });
  });

  it("answers an error with its HTTP status and Connect's error JSON, its metadata as headers", async () => {
    const call = await serve();
    const res = await call(post(echoPath, "application/json"), [Buffer.from('{"failCode":7,"failMessage":"not you"}')]);
    expect(res.headers[":status"]).toBe(403);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["trailer-x-trailer"]).toBe("done");
    expect(JSON.parse(res.body.toString())).toEqual({ code: "permission_denied", message: "not you" });
  });

  it("inflates a gzip body and compresses the response as content-encoding says, when accepted", async () => {
    const call = await serve();
    const request = gzipSync(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "zipped".repeat(100) })));
    const res = await call(post(echoPath, "application/proto", { "content-encoding": "gzip", "accept-encoding": "br, gzip;q=0.9" }), [request]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(fromBinary(EchoResponseSchema, gunzipSync(res.body)).message).toBe("zipped".repeat(100));
  });

  it("answers an unsupported content-encoding with unimplemented, naming what is supported", async () => {
    const call = await serve();
    const res = await call(post(echoPath, "application/proto", { "content-encoding": "zstd-x" }), [new Uint8Array(0)]);
    expect(res.headers[":status"]).toBe(501);
    const error = JSON.parse(res.body.toString()) as { code: string; message: string };
    expect(error.code).toBe("unimplemented");
    expect(error.message).toMatch(/"zstd-x" is not supported \(supported: .*gzip/);
  });

  it("refuses a body over the receive limit with resource_exhausted without holding it", async () => {
    const call = await serve({ maxReceiveMessageBytes: 1024 });
    const res = await call(post(echoPath, "application/proto"), [new Uint8Array(1000), new Uint8Array(1000), new Uint8Array(100_000)]);
    expect(res.headers[":status"]).toBe(429);
    expect(JSON.parse(res.body.toString())).toEqual({ code: "resource_exhausted", message: "received message larger than max (2000 vs. 1024)" });
  });

  it("answers a body that does not parse with invalid_argument", async () => {
    const call = await serve();
    const res = await call(post(echoPath, "application/proto"), [Buffer.from([0x0a, 0x05, 0x41])]);
    expect(res.headers[":status"]).toBe(400);
    expect((JSON.parse(res.body.toString()) as { code: string }).code).toBe("invalid_argument");
  });
});

describe("a streaming Connect call", () => {
  it("passes envelopes both ways and ends with the end-of-stream message, always HTTP 200", async () => {
    const call = await serve({
      interceptors: [
        (next) => (req) => {
          req.context.responseHeader.set("x-head", "h");
          req.context.responseTrailer.set("x-trailer", "done");
          req.context.responseTrailer.set("x-raw-bin", new Uint8Array([0xff, 0x00]));
          return next(req);
        },
      ],
    });
    const messages = ["a", "b"].map((m) => envelope(0, toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: m }))));
    const failing = envelope(0, toBinary(EchoRequestSchema, create(EchoRequestSchema, { failCode: Code.ABORTED, failMessage: "enough" })));
    const res = await call(post(chatPath, "application/connect+proto", { "connect-accept-encoding": "gzip" }), [...messages, failing]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-type"]).toBe("application/connect+proto");
    expect(res.headers["x-head"]).toBe("h");
    const frames = envelopes(res.body);
    expect(frames.slice(0, -1).map((f) => fromBinary(EchoResponseSchema, f.data).message)).toEqual(["a", "b"]);
    const end = frames[frames.length - 1];
    expect(end.flags).toBe(0x02);
    expect(JSON.parse(end.data.toString())).toEqual({ error: { code: "aborted", message: "enough" }, metadata: { "x-trailer": ["done"], "x-raw-bin": ["/wA"] } });
    expect(Object.keys(res.trailers ?? {})).toEqual([]);
  });

  it("answers a refusal before any message in the end-of-stream message too", async () => {
    const call = await serve();
    const res = await call(post("/grpckit.test.v1.EchoService/Nope", "application/connect+json"), []);
    expect(res.headers[":status"]).toBe(200);
    const [end] = envelopes(res.body);
    expect(end.flags).toBe(0x02);
    expect(JSON.parse(end.data.toString())).toEqual({ error: { code: "unimplemented", message: "unknown method Nope for service grpckit.test.v1.EchoService" } });
  });
});

describe("choosing Connect", () => {
  it("answers 415 for a streaming method called with a unary content type", async () => {
    const call = await serve();
    const res = await call(post(chatPath, "application/json"), [Buffer.from("{}")]);
    expect(res.headers[":status"]).toBe(415);
    expect(res.body.toString()).toMatch(/bidi_streaming method: call it with content-type application\/connect\+json/);
  });

  it("answers 405 for a method other than POST or GET", async () => {
    const call = await serve();
    const res = await call({ ":method": "PUT", ":path": echoPath, "content-type": "application/json" }, [Buffer.from("{}")]);
    expect(res.headers[":status"]).toBe(405);
    expect(res.headers.allow).toBe("POST");
  });

  it("leaves Connect off when the server says so, and gRPC untouched either way", async () => {
    const off = await serve({ connect: false });
    expect((await off(post(echoPath, "application/json"), [Buffer.from("{}")])).headers[":status"]).toBe(415);
    const on = await serve();
    const grpc = await on(post(echoPath, "application/grpc", { te: "trailers" }), [envelope(0, toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "g" })))]);
    expect(grpc.headers["content-type"]).toBe("application/grpc");
    expect(grpc.trailers?.["grpc-status"]).toBe("0");
  });
});
