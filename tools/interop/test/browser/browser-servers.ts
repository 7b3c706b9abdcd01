/** grpckit servers for the browser tests: each transport, over HTTP/1.1 on a plain socket or HTTP/2 over TLS. */
import { createServer, type Server, type StatsHandler, type TransportBuilder } from "@grpckit/core";
import { tlsServerCredentials } from "@grpckit/credentials-tls";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../../src/gen/grpc/testing/test_pb.js";
import { browserServiceHandlers } from "./browser-service.js";
import { requestHeaderNames, responseHeaderNames } from "./contract.js";
import type { LoopbackCertificate } from "./certificate.js";

export type TransportName = "transport-h2" | "transport-http2";
/** How the browser reaches the server: the HTTP version it ends up speaking, and whether under TLS. */
export type Connection = "http/1.1" | "h2 over TLS" | "http/1.1 over TLS";

export interface ServerKind {
  readonly transport: TransportName;
  readonly connection: Connection;
}

export interface BrowserServer {
  /** "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT". */
  readonly baseUrl: string;
  /** The timeout each EmptyCall arrived with, in ms (undefined for none), as the server read it from the request. */
  readonly emptyCallTimeouts: (number | undefined)[];
  readonly server: Server;
}

const emptyCallPath = "/grpc.testing.TestService/EmptyCall";

/** Records the timeout of each EmptyCall's request headers: what the browser's deadline became on the wire. */
function recordTimeouts(into: (number | undefined)[]): StatsHandler<true> {
  return {
    tagCall: (info) => (info.side === "server" && info.method === emptyCallPath ? true : undefined),
    handleCall: (_tag, event) => {
      if (event.type === "inHeader") into.push(event.timeoutMs);
    },
  };
}

const transports: Record<TransportName, () => TransportBuilder> = {
  "transport-h2": () => h2Transport(),
  "transport-http2": () => http2Transport(),
};

/** Starts a server of `kind` that lets pages from `pageOrigin` (alone) call it and read its answers. */
export async function startBrowserServer(kind: ServerKind, certificate: LoopbackCertificate, pageOrigin: string): Promise<BrowserServer> {
  const tls = kind.connection !== "http/1.1";
  const emptyCallTimeouts: (number | undefined)[] = [];
  const server = createServer({
    transport: transports[kind.transport](),
    statsHandlers: [recordTimeouts(emptyCallTimeouts)],
    cors: { allowedOrigins: [pageOrigin], allowedHeaders: requestHeaderNames, exposedHeaders: responseHeaderNames },
    ...(tls ? { credentials: tlsServerCredentials({ cert: certificate.cert, key: certificate.key }) } : {}),
  });
  server.addService(TestService, browserServiceHandlers());
  const { port } = await server.listen("127.0.0.1:0");
  return { baseUrl: `${tls ? "https" : "http"}://127.0.0.1:${port}`, emptyCallTimeouts, server };
}
