/** Bench calls made with an @grpc/grpc-js client (callback API for unary, duplex stream for bidi). */
import grpc from "@grpc/grpc-js";
import type { BenchMessage } from "../bench-message.js";
import { loadGrpcJsEchoService, type GrpcJsEchoMessage } from "../grpcjs-proto.js";
import { runClientMain, type ClientConnection } from "./client-harness.js";

const EchoService = loadGrpcJsEchoService();
const credentials = grpc.credentials.createInsecure();
/** Each client gets its own connection, as each grpckit channel does. */
const channelOptions: grpc.ChannelOptions = { "grpc.use_local_subchannel_pool": 1 };

function connect(target: string, message: BenchMessage): ClientConnection {
  const client = new EchoService(target, credentials, channelOptions);
  const request: GrpcJsEchoMessage = { payload: Buffer.from(message.payload) };
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
