/**
 * gRPC-Web (grpc/grpc doc/PROTOCOL-WEB.md) served by a grpckit server on both socket
 * transports, to a node:http2 client that speaks it byte for byte: binary and base64
 * ("-text") bodies, server streaming, the status and trailing metadata in the body's
 * last frame (flag 0x80), errors with details, and trailers-only refusals in headers.
 */
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createServer, type Server, type TransportBuilder } from "@grpckit/core";
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

const open: { servers: Server[]; sessions: http2.ClientHttp2Session[] } = { servers: [], sessions: [] };
afterEach(() => {
  for (const s of open.sessions.splice(0)) s.destroy();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];

/** One frame of a gRPC-Web response body. */
interface WebFrame {
  readonly flags: number;
  readonly data: Buffer;
}

function frame(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.byteLength);
  out[0] = flags;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

function splitFrames(body: Buffer): WebFrame[] {
  const frames: WebFrame[] = [];
  let at = 0;
  while (at < body.byteLength) {
    const length = body.readUInt32BE(at + 1);
    frames.push({ flags: body[at], data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  expect(at).toBe(body.byteLength);
  return frames;
}

/** The trailer frame's header block as a map of lowercase names to values. */
function trailerBlock(frame: WebFrame): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of frame.data.toString("latin1").split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

interface WebResponse {
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders;
}

/** Sends one gRPC-Web request as a browser's fetch would: POST, the body in the given pieces. */
function webCall(port: number, path: string, contentType: string, pieces: Uint8Array[], extra: Record<string, string> = {}): Promise<WebResponse> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  open.sessions.push(session);
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      "x-grpc-web": "1",
      "x-user-agent": "grpc-web-javascript/0.1",
      accept: contentType,
      ...extra,
    });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ headers, body: Buffer.concat(chunks), trailers }));
    req.on("error", reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

describe.each(transports)("gRPC-Web on %s", (_name, makeTransport) => {
  async function serve(grpcWeb?: boolean): Promise<number> {
    const server = createServer({ transport: makeTransport(), grpcWeb });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    return (await server.listen("127.0.0.1:0")).port!;
  }

  it("answers a binary unary call with the message and a trailer frame, in the request's content type", async () => {
    const port = await serve();
    const request = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 3, payload: { body: new Uint8Array([1, 2]) } }));
    const res = await webCall(port, "/grpc.testing.TestService/UnaryCall", "application/grpc-web+proto", [frame(request)], {
      "x-grpc-test-echo-initial": "hello",
    });
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc-web+proto");
    expect(res.headers["x-grpc-test-echo-initial"]).toBe("hello");
    const [message, trailer, ...rest] = splitFrames(res.body);
    expect(rest).toEqual([]);
    expect(message.flags).toBe(0);
    expect(Array.from(fromBinary(SimpleResponseSchema, message.data).payload?.body ?? [])).toEqual([0, 0, 0]);
    expect(trailer.flags).toBe(0x80);
    expect(trailerBlock(trailer).get("grpc-status")).toBe("0");
    // Nothing rides in HTTP trailers: a browser could not read them.
    expect(res.trailers["grpc-status"]).toBeUndefined();
  });

  it("decodes a base64 request sent in separately padded pieces and answers in base64", async () => {
    const port = await serve();
    const request = frame(toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 10 })));
    // A text client may flush at any byte: each flush is its own padded base64 run.
    const pieces = [request.subarray(0, 2), request.subarray(2, 3), request.subarray(3)].map((p) => Buffer.from(p.toString("base64")));
    expect(pieces[0].toString()).toMatch(/=$/);
    const res = await webCall(port, "/grpc.testing.TestService/UnaryCall", "application/grpc-web-text", pieces);
    expect(res.headers["content-type"]).toBe("application/grpc-web-text");
    const frames = splitFrames(decodePaddedRuns(res.body.toString("latin1")));
    expect(frames.map((f) => f.flags)).toEqual([0, 0x80]);
    expect(fromBinary(SimpleResponseSchema, frames[0].data).payload?.body.byteLength).toBe(10);
    expect(trailerBlock(frames[1]).get("grpc-status")).toBe("0");
  });

  it("streams server messages, each its own frame, then the trailer frame", async () => {
    const port = await serve();
    const request = toBinary(
      StreamingOutputCallRequestSchema,
      create(StreamingOutputCallRequestSchema, { responseParameters: [{ size: 1 }, { size: 2 }, { size: 3 }] }),
    );
    const res = await webCall(port, "/grpc.testing.TestService/StreamingOutputCall", "application/grpc-web", [frame(request)]);
    expect(res.headers["content-type"]).toBe("application/grpc-web");
    const frames = splitFrames(res.body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0, 0, 0x80]);
    expect(frames.slice(0, 3).map((f) => fromBinary(StreamingOutputCallResponseSchema, f.data).payload?.body.byteLength)).toEqual([1, 2, 3]);
  });

  it("puts an error's status, message and trailing metadata in the trailer frame after the messages", async () => {
    const port = await serve();
    const requests = [
      create(StreamingOutputCallRequestSchema, { responseParameters: [{ size: 4 }] }),
      create(StreamingOutputCallRequestSchema, { responseStatus: { code: Code.FAILED_PRECONDITION, message: "not ready: ü" } }),
    ].map((r) => frame(toBinary(StreamingOutputCallRequestSchema, r)));
    const res = await webCall(port, "/grpc.testing.TestService/FullDuplexCall", "application/grpc-web+proto", requests, {
      "x-grpc-test-echo-trailing-bin": Buffer.from([0xca, 0xfe]).toString("base64"),
    });
    const frames = splitFrames(res.body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0x80]);
    const trailer = trailerBlock(frames[1]);
    expect(trailer.get("grpc-status")).toBe(String(Code.FAILED_PRECONDITION));
    expect(decodeURIComponent(trailer.get("grpc-message")!)).toBe("not ready: ü");
    expect(Buffer.from(trailer.get("x-grpc-test-echo-trailing-bin")!, "base64")).toEqual(Buffer.from([0xca, 0xfe]));
  });

  it("answers an error before any message trailers-only, the status in the headers", async () => {
    const port = await serve();
    const request = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseStatus: { code: Code.NOT_FOUND, message: "no such thing" } }));
    const res = await webCall(port, "/grpc.testing.TestService/UnaryCall", "application/grpc-web-text+proto", [Buffer.from(frame(request).toString("base64"))]);
    expect(res.headers["content-type"]).toBe("application/grpc-web-text+proto");
    expect(res.headers["grpc-status"]).toBe(String(Code.NOT_FOUND));
    expect(res.headers["grpc-message"]).toBe("no such thing");
    expect(res.body.byteLength).toBe(0);
  });

  it("is answered 415 as any unknown content type when the server turns gRPC-Web off", async () => {
    const port = await serve(false);
    const request = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 1 }));
    const res = await webCall(port, "/grpc.testing.TestService/UnaryCall", "application/grpc-web+proto", [frame(request)]);
    expect(res.headers[":status"]).toBe(415);
    expect(res.headers["grpc-message"]).toContain("application/grpc-web+proto");
  });

  it("refuses an unknown method trailers-only, in the request's content type", async () => {
    const port = await serve();
    const res = await webCall(port, "/grpc.testing.TestService/Nope", "application/grpc-web+proto", [frame(new Uint8Array(0))]);
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc-web+proto");
    expect(res.headers["grpc-status"]).toBe(String(Code.UNIMPLEMENTED));
    expect(res.body.byteLength).toBe(0);
  });
});

/** Decodes a body of base64 runs, each possibly padded, as a gRPC-Web text client does. */
function decodePaddedRuns(text: string): Buffer {
  const runs = text.match(/[A-Za-z0-9+/]*={0,2}/g)!.filter((r) => r !== "");
  return Buffer.concat(runs.map((r) => Buffer.from(r, "base64")));
}

describe("gRPC-Web over HTTP/1.1 on transport-h2, on the port that serves HTTP/2", () => {
  async function serve(): Promise<number> {
    const server = createServer({ transport: h2Transport() });
    server.addService(TestService, testServiceHandlers());
    open.servers.push(server);
    return (await server.listen("127.0.0.1:0")).port!;
  }

  /** A browser-like HTTP/1.1 request (node's fetch speaks HTTP/1.1). */
  async function fetchWeb(port: number, path: string, contentType: string, body: Uint8Array) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { "content-type": contentType, "x-grpc-web": "1", "x-grpc-test-echo-initial": "from-h1" },
      body,
    });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  }

  it("answers unary and server-streaming calls, then a gRPC client over HTTP/2 on the same port", async () => {
    const port = await serve();
    const unary = await fetchWeb(
      port,
      "/grpc.testing.TestService/UnaryCall",
      "application/grpc-web+proto",
      frame(toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 5 }))),
    );
    expect(unary.res.status).toBe(200);
    expect(unary.res.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(unary.res.headers.get("x-grpc-test-echo-initial")).toBe("from-h1");
    const frames = splitFrames(unary.body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0x80]);
    expect(fromBinary(SimpleResponseSchema, frames[0].data).payload?.body.byteLength).toBe(5);
    expect(trailerBlock(frames[1]).get("grpc-status")).toBe("0");

    const streamed = await fetchWeb(
      port,
      "/grpc.testing.TestService/StreamingOutputCall",
      "application/grpc-web-text",
      Buffer.from(
        frame(toBinary(StreamingOutputCallRequestSchema, create(StreamingOutputCallRequestSchema, { responseParameters: [{ size: 7 }, { size: 8 }] }))).toString("base64"),
      ),
    );
    const streamedFrames = splitFrames(decodePaddedRuns(streamed.body.toString("latin1")));
    expect(streamedFrames.map((f) => f.flags)).toEqual([0, 0, 0x80]);

    // HTTP/2 on the same port still works: the listener tells the two apart by the first bytes.
    const h2 = await webCall(port, "/grpc.testing.TestService/UnaryCall", "application/grpc-web", [frame(toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 2 })))]);
    expect(splitFrames(h2.body).map((f) => f.flags)).toEqual([0, 0x80]);
  });

  it("refuses gRPC itself over HTTP/1.1 with 505, saying it needs HTTP/2", async () => {
    const port = await serve();
    const { res } = await fetchWeb(port, "/grpc.testing.TestService/UnaryCall", "application/grpc", frame(new Uint8Array(0)));
    expect(res.status).toBe(505);
    expect(res.headers.get("grpc-status")).toBe(String(Code.UNIMPLEMENTED));
    expect(res.headers.get("grpc-message")).toContain("HTTP/2");
  });
});
