/**
 * The client-side ceiling: gRPC echo calls made directly with node:http2 (one session,
 * a request stream per call, the body a ready-made frame, grpc-status read from the
 * trailers).
 */
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { ECHO_PATH, ECHO_SERVER_STREAM_PATH, ECHO_STREAM_PATH, type BenchMessage } from "../bench-message.js";
import { frameMessage } from "../frame.js";
import { ServerStreamRequestSchema } from "../gen/bench/v1/echo_pb.js";
import { runClientMain, type ClientConnection } from "./client-harness.js";

function requestHeaders(path: string): http2.OutgoingHttpHeaders {
  return { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
}

/** Tracks one call's response: bytes received and the grpc-status (trailers, or headers of a trailers-only response). */
function watchResponse(stream: http2.ClientHttp2Stream, onBytes?: (received: number) => void): { status(): string | undefined; received(): number } {
  let status: string | undefined;
  let received = 0;
  stream.on("response", (headers) => {
    const value = headers["grpc-status"];
    if (value !== undefined) status = String(value);
  });
  stream.on("trailers", (trailers) => {
    status = String(trailers["grpc-status"]);
  });
  stream.on("data", (chunk: Buffer) => {
    received += chunk.length;
    onBytes?.(received);
  });
  stream.on("error", () => {});
  return { status: () => status, received: () => received };
}

function connect(target: string, message: BenchMessage): ClientConnection {
  const session = http2.connect(`http://${target}`);
  session.on("error", () => {});
  const frame = message.frame;
  return {
    unary(done) {
      const stream = session.request(requestHeaders(ECHO_PATH));
      const response = watchResponse(stream);
      stream.on("close", () => {
        if (response.status() !== "0") done(new Error(`grpc-status ${response.status()}`));
        else if (response.received() !== frame.length) done(new Error(`echo of ${response.received()} bytes`));
        else done();
      });
      stream.end(frame);
    },

    stream(count) {
      return new Promise((resolve, reject) => {
        const stream = session.request(requestHeaders(ECHO_STREAM_PATH));
        const response = watchResponse(stream);
        stream.on("close", () => {
          const expected = count * frame.length;
          if (response.status() !== "0") reject(new Error(`grpc-status ${response.status()}`));
          else if (response.received() !== expected) reject(new Error(`echoed ${response.received()} of ${expected} bytes`));
          else resolve();
        });
        let sent = 0;
        const pump = (): void => {
          while (sent < count) {
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
    },

    serverStream(count) {
      return new Promise((resolve, reject) => {
        const stream = session.request(requestHeaders(ECHO_SERVER_STREAM_PATH));
        const response = watchResponse(stream);
        stream.on("close", () => {
          const expected = count * frame.length;
          if (response.status() !== "0") reject(new Error(`grpc-status ${response.status()}`));
          else if (response.received() !== expected) reject(new Error(`received ${response.received()} of ${expected} bytes`));
          else resolve();
        });
        stream.end(frameMessage(toBinary(ServerStreamRequestSchema, create(ServerStreamRequestSchema, { payload: message.payload, count }))));
      });
    },

    call(other) {
      return new Promise((resolve, reject) => {
        const stream = session.request(requestHeaders(ECHO_PATH));
        const response = watchResponse(stream);
        stream.on("close", () => {
          if (response.status() !== "0") reject(new Error(`grpc-status ${response.status()}`));
          else if (response.received() !== other.frame.length) reject(new Error(`echo of ${response.received()} bytes`));
          else resolve();
        });
        stream.end(other.frame);
      });
    },

    countStream() {
      return Promise.reject(new Error("the raw node:http2 client sends no compressed messages"));
    },

    openStream() {
      return new Promise((resolve, reject) => {
        const stream = session.request(requestHeaders(ECHO_STREAM_PATH));
        const closed = new Promise<void>((resolveClosed) => stream.on("close", () => resolveClosed()));
        let echoed = false;
        const response = watchResponse(stream, (received) => {
          if (!echoed && received >= frame.length) {
            echoed = true;
            resolve(() => {
              stream.end();
              return closed;
            });
          }
        });
        void closed.then(() => {
          if (!echoed) reject(new Error(`stream closed before its echo (grpc-status ${response.status()})`));
        });
        stream.write(frame);
      });
    },

    close() {
      session.close();
    },
  };
}

await runClientMain(connect);
