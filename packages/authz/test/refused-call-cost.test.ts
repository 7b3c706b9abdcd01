/**
 * What a call an authorization policy refuses costs the server, seen on the wire from a
 * node:http2 client: one trailers-only response (HEADERS with END_STREAM, grpc-status 7),
 * no DATA, no handler, and not one request message decoded, even for a 3 MiB request.
 */
import http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { protoCodec, registerCodec, type Codec, type TransportBuilder } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoRequestSchema } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { createStaticAuthzPolicy, deniedMessage } from "../src/index.js";
import { serve, useLoopback } from "./support.js";

useLoopback();

/** The proto codec as content-subtype "counted", counting the EchoRequests the server decodes. */
const decoded = { count: 0 };
const countedCodec: Codec = {
  name: "counted",
  encode: (schema, message) => protoCodec.encode(schema, message),
  decode: (schema, data) => {
    if (schema.typeName === "grpckit.test.v1.EchoRequest") decoded.count++;
    return protoCodec.decode(schema, data);
  },
};
registerCodec(countedCodec);

const policy = createStaticAuthzPolicy({
  name: "tenant-only",
  allow_rules: [{ name: "acme", request: { headers: [{ key: "x-tenant", values: ["acme"] }] } }],
});

interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  /** The response headers came with END_STREAM: a trailers-only response. */
  trailersOnly: boolean;
  dataBytes: number;
  trailers: http2.IncomingHttpHeaders | undefined;
}

function frame(payload: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + payload.byteLength);
  b.writeUInt32BE(payload.byteLength, 1);
  b.set(payload, 5);
  return b;
}

function rawCall(session: http2.ClientHttp2Session, tenant: string, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": "/grpckit.test.v1.EchoService/Echo",
      "content-type": "application/grpc+counted",
      te: "trailers",
      "x-tenant": tenant,
    });
    const response: RawResponse = { headers: {}, trailersOnly: false, dataBytes: 0, trailers: undefined };
    req.on("response", (headers, flags) => {
      response.headers = headers;
      response.trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    req.on("data", (chunk: Buffer) => (response.dataBytes += chunk.byteLength));
    req.on("trailers", (trailers) => (response.trailers = trailers));
    req.on("close", () => resolve(response));
    req.on("error", reject);
    req.end(body);
  });
}

describe.each([
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
] as [string, () => TransportBuilder][])("a call refused by a policy on %s", (_name, makeTransport) => {
  it("costs a trailers-only PERMISSION_DENIED: no DATA, no handler, no message decoded, even with a 3 MiB request; the server goes on serving", async () => {
    decoded.count = 0;
    const { port, log } = await serve(makeTransport(), [policy.tap], { plaintext: true });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const big = frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "big", payload: new Uint8Array(3 * 1024 * 1024).fill(1) })));
      const refused = await rawCall(session, "globex", big);
      expect(refused.headers[":status"]).toBe(200);
      expect(refused.headers["grpc-status"]).toBe("7");
      expect(decodeURIComponent(String(refused.headers["grpc-message"]))).toBe(deniedMessage);
      expect({ trailersOnly: refused.trailersOnly, dataBytes: refused.dataBytes, trailers: refused.trailers }).toEqual({
        trailersOnly: true,
        dataBytes: 0,
        trailers: undefined,
      });
      expect({ handlers: log.contexts.length, decoded: decoded.count }).toEqual({ handlers: 0, decoded: 0 });

      const allowed = await rawCall(session, "acme", frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "ok" }))));
      expect(allowed.trailers?.["grpc-status"]).toBe("0");
      expect(allowed.dataBytes).toBeGreaterThan(5);
      expect({ handlers: log.contexts.length, decoded: decoded.count }).toEqual({ handlers: 1, decoded: 1 });
      console.log(`refused 3 MiB call: trailers-only=${refused.trailersOnly}, DATA bytes back=${refused.dataBytes}, handlers=0, decoded=0; then one allowed call`);
    } finally {
      session.close();
    }
  });
});
