/**
 * The ceiling: a bare node:http2 handler that answers gRPC echo calls by splitting the
 * request body into 5-byte-prefixed frames, writing each frame back, and ending with
 * `grpc-status: 0` trailers. Anything built on node:http2 does at least this much work.
 * A server-streaming call (EchoServerStream) is read whole, its request decoded once, and
 * one ready-made response frame written `count` times.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import http2 from "node:http2";
import { ECHO_SERVER_STREAM_PATH } from "../bench-message.js";
import { FrameReader, FRAME_HEADER_BYTES, frameMessage } from "../frame.js";
import { EchoResponseSchema, ServerStreamRequestSchema } from "../gen/bench/v1/echo_pb.js";
import { listenPort, serveControl } from "./server-control.js";

const responseHeaders = { ":status": 200, "content-type": "application/grpc" };
const okTrailers = { "grpc-status": "0" };

const server = http2.createServer();
/** Answers an EchoServerStream call: `count` copies of one response frame, as fast as flow control lets. */
function serverStream(stream: http2.ServerHttp2Stream): void {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("error", () => {});
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    const request = fromBinary(ServerStreamRequestSchema, body.subarray(FRAME_HEADER_BYTES));
    const frame = frameMessage(toBinary(EchoResponseSchema, create(EchoResponseSchema, { payload: request.payload })));
    stream.respond(responseHeaders, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers(okTrailers));
    let sent = 0;
    const pump = (): void => {
      while (sent < request.count) {
        sent++;
        if (!stream.write(frame)) {
          stream.once("drain", pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

server.on("stream", (stream, headers) => {
  if (headers[":path"] === ECHO_SERVER_STREAM_PATH) {
    serverStream(stream);
    return;
  }
  const reader = new FrameReader();
  let waitingForDrain = false;
  const writeFrame = (frame: Buffer): void => {
    if (!stream.write(frame) && !waitingForDrain) {
      waitingForDrain = true;
      stream.pause();
      stream.once("drain", () => {
        waitingForDrain = false;
        stream.resume();
      });
    }
  };
  stream.respond(responseHeaders, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers(okTrailers));
  stream.on("data", (chunk: Buffer) => reader.push(chunk, writeFrame));
  stream.on("end", () => stream.end());
  stream.on("error", () => {});
});
server.on("sessionError", () => {});

server.listen(listenPort(), "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("raw server has no port");
  serveControl(address.port, () => new Promise<void>((resolve) => server.close(() => resolve())));
});
