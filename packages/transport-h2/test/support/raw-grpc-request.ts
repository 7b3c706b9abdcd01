/**
 * One gRPC request sent by node:http2 with the headers and frames a test chooses, so a
 * test can send what a grpckit client never would (a huge grpc-timeout, END_STREAM on
 * the HEADERS frame), and what came back.
 */
import http2 from "node:http2";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { EchoRequestSchema, EchoResponseSchema, type EchoResponse } from "../../../core/test/gen/grpckit/test/v1/echo_pb.js";

export interface RawResult {
  status: number | undefined;
  message: string | undefined;
  /** The response messages, decoded as EchoResponse. */
  responses: EchoResponse[];
}

/** A framed, uncompressed EchoRequest. */
export function echoFrame(init: MessageInitShape<typeof EchoRequestSchema>): Buffer {
  const body = toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
  const frame = Buffer.alloc(5 + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 1);
  frame.set(body, 5);
  return frame;
}

/**
 * Sends one request on its own connection: `body` as DATA then END_STREAM, or, when
 * `body` is undefined, END_STREAM on the HEADERS frame itself (a request with no content).
 */
export function rawGrpcRequest(
  port: number,
  path: string,
  body: Buffer | undefined,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<RawResult> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  return new Promise<RawResult>((resolve, reject) => {
    const request = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers };
    const req = body === undefined ? session.request(request, { endStream: true }) : session.request(request);
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on("response", (h) => (head = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      const src = trailers ?? head;
      const status = src["grpc-status"];
      const message = src["grpc-message"] as string | undefined;
      resolve({
        status: status === undefined ? undefined : Number(status),
        message: message === undefined ? undefined : decodeURIComponent(message),
        responses: decodeResponses(Buffer.concat(chunks)),
      });
    });
    if (body !== undefined) req.end(body);
  }).finally(() => session.close());
}

function decodeResponses(data: Buffer): EchoResponse[] {
  const out: EchoResponse[] = [];
  let pos = 0;
  while (pos + 5 <= data.byteLength) {
    const length = data.readUInt32BE(pos + 1);
    out.push(fromBinary(EchoResponseSchema, data.subarray(pos + 5, pos + 5 + length)));
    pos += 5 + length;
  }
  return out;
}
