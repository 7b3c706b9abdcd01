/**
 * Bench calls made with an @grpc/grpc-js client (callback API for unary, duplex stream for
 * bidi). `--max-message-bytes N` raises the largest message received and sent to N bytes.
 */
import grpc from "@grpc/grpc-js";
import type { BenchMessage } from "../bench-message.js";
import { loadGrpcJsEchoService, type GrpcJsEchoMessage } from "../grpcjs-proto.js";
import { maxMessageBytes } from "../message-limit.js";
import { checkCount, runClientMain, type ClientConnection } from "./client-harness.js";

const EchoService = loadGrpcJsEchoService();
const credentials = grpc.credentials.createInsecure();
const limit = maxMessageBytes();
/** Each client gets its own connection, as each grpckit channel does. */
const channelOptions: grpc.ChannelOptions = {
  "grpc.use_local_subchannel_pool": 1,
  ...(limit !== undefined ? { "grpc.max_receive_message_length": limit, "grpc.max_send_message_length": limit } : {}),
};
/** grpc-js compresses requests by a channel option: 2 is gzip. */
const gzipChannelOptions: grpc.ChannelOptions = { ...channelOptions, "grpc.default_compression_algorithm": 2 };

/** `payload` as a Buffer over the same memory: a large request is not copied. */
function asBuffer(payload: Uint8Array): Buffer {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function connect(target: string, message: BenchMessage): ClientConnection {
  const client = new EchoService(target, credentials, channelOptions);
  const request: GrpcJsEchoMessage = { payload: asBuffer(message.payload) };
  const payloadLength = message.payload.length;
  return {
    unary(done) {
      client.echo(request, (error, response) => {
        if (error !== null) done(error);
        else if (response?.payload.length !== payloadLength) done(new Error("wrong echo"));
        else done();
      });
    },

    stream(count) {
      return new Promise((resolve, reject) => {
        const call = client.echoStream();
        let received = 0;
        call.on("data", () => received++);
        call.on("error", reject);
        call.on("status", (status: grpc.StatusObject) => {
          if (status.code !== grpc.status.OK) reject(new Error(`status ${status.code}: ${status.details}`));
          else if (received !== count) reject(new Error(`echoed ${received} of ${count} messages`));
          else resolve();
        });
        let sent = 0;
        const pump = (): void => {
          while (sent < count) {
            sent++;
            if (!call.write(request)) {
              call.once("drain", pump);
              return;
            }
          }
          call.end();
        };
        pump();
      });
    },

    serverStream(count) {
      return new Promise((resolve, reject) => {
        const call = client.echoServerStream({ payload: request.payload, count });
        let received = 0;
        call.on("data", (response: GrpcJsEchoMessage) => {
          if (response.payload.length !== payloadLength) call.destroy(new Error("wrong echo"));
          else received++;
        });
        call.on("error", reject);
        call.on("status", (status: grpc.StatusObject) => {
          if (status.code !== grpc.status.OK) reject(new Error(`status ${status.code}: ${status.details}`));
          else if (received !== count) reject(new Error(`echoed ${received} of ${count} messages`));
          else resolve();
        });
      });
    },

    call(other) {
      return new Promise((resolve, reject) => {
        client.echo({ payload: asBuffer(other.payload) }, (error, response) => {
          if (error !== null) reject(error);
          else if (response?.payload.length !== other.payload.length) reject(new Error("wrong echo"));
          else resolve();
        });
      });
    },

    countStream(count) {
      const gzipClient = new EchoService(target, credentials, gzipChannelOptions);
      return new Promise<void>((resolve, reject) => {
        const call = gzipClient.countStream((error, response) => {
          if (error !== null) {
            reject(error);
            return;
          }
          try {
            checkCount(Number(response!.messages), Number(response!.payloadBytes), count, payloadLength);
            resolve();
          } catch (mismatch) {
            reject(mismatch as Error);
          }
        });
        let sent = 0;
        const pump = (): void => {
          while (sent < count) {
            sent++;
            if (!call.write(request)) {
              call.once("drain", pump);
              return;
            }
          }
          call.end();
        };
        pump();
      }).finally(() => gzipClient.close());
    },

    openStream() {
      return new Promise((resolve, reject) => {
        const call = client.echoStream();
        const finished = new Promise<void>((resolveFinished) => call.on("status", () => resolveFinished()));
        call.on("error", reject);
        call.once("data", () => {
          call.on("data", () => {});
          resolve(() => {
            call.end();
            return finished;
          });
        });
        call.write(request);
      });
    },

    close() {
      client.close();
    },
  };
}

await runClientMain(connect);
