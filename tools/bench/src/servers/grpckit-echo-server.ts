/**
 * The bench echo service on a grpckit server, over whichever transport the entry point
 * hands in (grpckit-server.ts: transport-http2; grpckit-h2-server.ts: transport-h2).
 * With `--channelz`, channelz is enabled before the server is created, so every
 * connection and call is recorded.
 */
import { channelzRegistry, createServer, enableChannelz, type TransportBuilder } from "@grpckit/core";
import { EchoService } from "../gen/bench/v1/echo_pb.js";
import { listenPort, serveControl } from "./server-control.js";

/** Calls channelz counted on this process's servers; 0 while channelz is off. */
function channelzCalls(): number {
  let calls = 0;
  for (const recorded of channelzRegistry()?.serverList(0, Number.MAX_SAFE_INTEGER).items ?? []) {
    calls += recorded.calls.callsStarted;
  }
  return calls;
}

/** Serves the echo service on `transport` at 127.0.0.1 and answers the driver until told to stop. */
export async function runGrpckitServer(transport: TransportBuilder): Promise<void> {
  if (process.argv.includes("--channelz")) enableChannelz();
  const server = createServer({ transport });
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
  serveControl(port, () => server.shutdown(), channelzCalls);
}
