/** The bench echo service on an @grpc/grpc-js server. */
import grpc from "@grpc/grpc-js";
import { loadGrpcJsEchoService, type GrpcJsEchoMessage } from "../grpcjs-proto.js";
import { listenPort, serveControl } from "./server-control.js";

const EchoService = loadGrpcJsEchoService();
const server = new grpc.Server();
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
});

server.bindAsync(`127.0.0.1:${listenPort()}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  serveControl(port, () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
});
