/**
 * The bench echo service on an @grpc/grpc-js server. `--max-message-bytes N` raises the
 * largest message received and sent to N bytes (the large-message rows).
 */
import grpc from "@grpc/grpc-js";
import { loadGrpcJsEchoService, type GrpcJsEchoMessage, type GrpcJsServerStreamRequest } from "../grpcjs-proto.js";
import { recordCallLoopDelay } from "../loop-delay.js";
import { listenPort, maxMessageBytes, serveControl } from "./server-control.js";

const EchoService = loadGrpcJsEchoService();
const limit = maxMessageBytes();
const server = new grpc.Server(
  limit !== undefined ? { "grpc.max_receive_message_length": limit, "grpc.max_send_message_length": limit } : {},
);
server.addService(EchoService.service, {
  echo(
    call: grpc.ServerUnaryCall<GrpcJsEchoMessage, GrpcJsEchoMessage>,
    callback: grpc.sendUnaryData<GrpcJsEchoMessage>,
  ) {
    callback(null, { payload: call.request.payload });
  },
  echoStream(call: grpc.ServerDuplexStream<GrpcJsEchoMessage, GrpcJsEchoMessage>) {
    call.on("data", (request: GrpcJsEchoMessage) => {
      if (!call.write({ payload: request.payload })) {
        call.pause();
        call.once("drain", () => call.resume());
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  },
  echoServerStream(call: grpc.ServerWritableStream<GrpcJsServerStreamRequest, GrpcJsEchoMessage>) {
    const response = { payload: call.request.payload };
    const count = call.request.count;
    let sent = 0;
    const pump = (): void => {
      while (sent < count) {
        sent++;
        if (!call.write(response)) {
          call.once("drain", pump);
          return;
        }
      }
      call.end();
    };
    call.on("error", () => {});
    pump();
  },
  countStream(
    call: grpc.ServerReadableStream<GrpcJsEchoMessage, { messages: number; payloadBytes: number }>,
    callback: grpc.sendUnaryData<{ messages: number; payloadBytes: number }>,
  ) {
    const stopRecording = recordCallLoopDelay();
    let messages = 0;
    let payloadBytes = 0;
    call.on("data", (request: GrpcJsEchoMessage) => {
      messages++;
      payloadBytes += request.payload.length;
    });
    call.on("end", () => {
      stopRecording();
      callback(null, { messages, payloadBytes });
    });
    call.on("error", () => stopRecording());
  },
});

server.bindAsync(`127.0.0.1:${listenPort()}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  serveControl(port, () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
});
