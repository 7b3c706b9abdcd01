/**
 * The ceiling: a bare node:http2 handler that answers gRPC echo calls by splitting the
 * request body into 5-byte-prefixed frames, writing each frame back, and ending with
 * `grpc-status: 0` trailers. Anything built on node:http2 does at least this much work.
 */
import http2 from "node:http2";
import { FrameReader } from "../frame.js";
import { listenPort, serveControl } from "./server-control.js";

const responseHeaders = { ":status": 200, "content-type": "application/grpc" };
const okTrailers = { "grpc-status": "0" };

const server = http2.createServer();
server.on("stream", (stream) => {
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
