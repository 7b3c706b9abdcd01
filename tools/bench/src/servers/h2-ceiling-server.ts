/**
 * The ceiling for grpckit on transport-h2: @grpckit/transport-h2 driven without core.
 * Each stream is answered, once its request has ended, from one response made at
 * start-up: shared response headers, the gRPC frame of the bench's 100-byte
 * EchoResponse, and `grpc-status: 0` trailers. Nothing is decoded, routed or checked, so
 * the answer is a valid gRPC response but not an echo: whatever the request, the same
 * bytes come back. What grpckit on transport-h2 adds over this is core's cost.
 *
 * An EchoStream (bidi) call is echoed as the raw node:http2 server echoes it: the request
 * body split into its gRPC frames, each written back undecoded, reading paused while the
 * stream's writes wait, and `grpc-status: 0` once the client has ended; so the two
 * servers compare the transports alone under the same per-message work.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { insecureCredentials, sharedHeaders, type Http2Headers, type ServerTransportStream } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { ECHO_STREAM_PATH, SMALL_MESSAGE_BYTES, benchMessage } from "../bench-message.js";
import { FrameReader, frameMessage } from "../frame.js";
import { EchoResponseSchema } from "../gen/bench/v1/echo_pb.js";
import { listenPort, serveControl } from "./server-control.js";

/** A header block answered unchanged on every stream, marked so the transport may keep its encoding. */
function shared(headers: Http2Headers): Http2Headers {
  Object.defineProperty(headers, sharedHeaders, { value: true });
  return headers;
}

const responseHeaders = shared({ ":status": 200, "content-type": "application/grpc" });
const okTrailers = shared({ "grpc-status": "0" });
const responseFrame = frameMessage(
  toBinary(EchoResponseSchema, create(EchoResponseSchema, { payload: benchMessage(SMALL_MESSAGE_BYTES).payload })),
);

/** Writes each gRPC frame of the request back as it completes. */
function echoFrames(stream: ServerTransportStream): void {
  const reader = new FrameReader();
  let paused = false;
  const writeFrame = (frame: Buffer): void => {
    if (!stream.write(frame) && !paused) {
      paused = true;
      stream.pause();
    }
  };
  stream.sendHeaders(responseHeaders, false);
  stream.setListener({
    onData(chunk) {
      reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), writeFrame);
    },
    onEnd() {
      stream.sendTrailers(okTrailers);
    },
    onDrain() {
      if (!paused) return;
      paused = false;
      stream.resume();
    },
    onClose() {},
  });
}

const listener = await h2Transport().listen(`127.0.0.1:${listenPort()}`, {
  credentials: insecureCredentials(),
  onStream(stream) {
    if (stream.headers[":path"] === ECHO_STREAM_PATH) {
      echoFrames(stream);
      return;
    }
    stream.setListener({
      onData() {},
      onEnd() {
        stream.sendHeaders(responseHeaders, false);
        stream.write(responseFrame);
        stream.sendTrailers(okTrailers);
      },
      onDrain() {},
      onClose() {},
    });
  },
});
const port = Number(listener.address.slice(listener.address.lastIndexOf(":") + 1));
serveControl(port, () => listener.drain());
