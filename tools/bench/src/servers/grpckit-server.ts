/** The bench echo service on a grpckit server over @grpckit/transport-http2. */
import { createServer } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../gen/bench/v1/echo_pb.js";
import { listenPort, serveControl } from "./server-control.js";

const server = createServer({ transport: http2Transport() });
server.addService(EchoService, {
  echo(request) {
    return { payload: request.payload };
  },
  async *echoStream(requests) {
    for await (const request of requests) yield { payload: request.payload };
  },
});

const { address, port } = await server.listen(`127.0.0.1:${listenPort()}`);
if (port === undefined) throw new Error(`grpckit server bound ${address}, which has no port`);
serveControl(port, () => server.shutdown());
