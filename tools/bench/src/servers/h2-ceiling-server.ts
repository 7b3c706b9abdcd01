/**
 * The ceiling for grpckit on transport-h2: @grpckit/transport-h2 driven without core.
 * Each stream is answered, once its request has ended, from one response made at
 * start-up: shared response headers, the gRPC frame of the bench's 100-byte
 * EchoResponse, and `grpc-status: 0` trailers. Nothing is decoded, routed or checked, so
 * the answer is a valid gRPC response but not an echo: whatever the request, the same
 * bytes come back. What grpckit on transport-h2 adds over this is core's cost.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { insecureCredentials, sharedHeaders, type Http2Headers } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { SMALL_MESSAGE_BYTES, benchMessage } from "../bench-message.js";
import { frameMessage } from "../frame.js";
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

const listener = await h2Transport().listen(`127.0.0.1:${listenPort()}`, {
  credentials: insecureCredentials(),
  onStream(stream) {
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
