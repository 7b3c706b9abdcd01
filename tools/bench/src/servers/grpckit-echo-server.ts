/**
 * The bench echo service on a grpckit server, over whichever transport the entry point
 * hands in (grpckit-server.ts: transport-http2; grpckit-h2-server.ts: transport-h2).
 * With `--channelz`, channelz is enabled before the server is created, so every
 * connection and call is recorded; `--max-message-bytes N` raises the largest message
 * received and sent to N bytes (the large-message rows).
 */
import { channelzRegistry, createServer, enableChannelz, type Server, type TransportBuilder } from "@grpckit/core";
import { EchoService } from "../gen/bench/v1/echo_pb.js";
import { recordCallLoopDelay } from "../loop-delay.js";
import { listenPort, maxMessageBytes, serveControl } from "./server-control.js";

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
  const { server, port } = await startGrpckitServer(transport, listenPort());
  serveControl(port, () => server.shutdown(), channelzCalls);
}

/** Starts a grpckit server with the echo service on `transport` at 127.0.0.1:`port` and returns it with its bound port. */
export async function startGrpckitServer(transport: TransportBuilder, listenOn: number): Promise<{ server: Server; port: number }> {
  const limit = maxMessageBytes();
  const server = createServer({
    transport,
    ...(limit !== undefined ? { maxReceiveMessageBytes: limit, maxSendMessageBytes: limit } : {}),
  });
  server.addService(EchoService, {
    echo(request) {
      return { payload: request.payload };
    },
    async *echoStream(requests) {
      for await (const request of requests) yield { payload: request.payload };
    },
    async *echoServerStream(request) {
      const response = { payload: request.payload };
      for (let i = 0; i < request.count; i++) yield response;
    },
    async countStream(requests) {
      const stopRecording = recordCallLoopDelay();
      let messages = 0n;
      let payloadBytes = 0n;
      try {
        for await (const request of requests) {
          messages++;
          payloadBytes += BigInt(request.payload.length);
        }
      } finally {
        stopRecording();
      }
      return { messages, payloadBytes };
    },
  });
  const { address, port } = await server.listen(`127.0.0.1:${listenOn}`);
  if (port === undefined) throw new Error(`grpckit server bound ${address}, which has no port`);
  return { server, port };
}
