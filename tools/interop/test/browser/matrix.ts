/** The browser test matrix: each client and wire format against each server kind, one named row each. */
import type { PageClient } from "./contract.js";
import type { Connection, ServerKind, TransportName } from "./browser-servers.js";

export interface BrowserRow {
  readonly name: string;
  readonly client: PageClient;
  readonly server: ServerKind;
  /** The nextHopProtocol the page must see for its calls. */
  readonly protocol: "http/1.1" | "h2";
}

const clients: { name: string; client: PageClient }[] = [
  { name: "connect-web gRPC-Web binary", client: { name: "connect-web", protocol: "grpc-web", binary: true } },
  { name: "connect-web gRPC-Web JSON", client: { name: "connect-web", protocol: "grpc-web", binary: false } },
  { name: "connect-web Connect binary", client: { name: "connect-web", protocol: "connect", binary: true } },
  { name: "connect-web Connect JSON", client: { name: "connect-web", protocol: "connect", binary: false } },
  { name: "grpc-web runtime grpcweb", client: { name: "grpc-web", mode: "grpcweb" } },
  { name: "grpc-web runtime grpcwebtext", client: { name: "grpc-web", mode: "grpcwebtext" } },
];

/** The server kinds a browser can reach today. */
export const serverKinds: ServerKind[] = [
  { transport: "transport-h2", connection: "http/1.1" },
  { transport: "transport-h2", connection: "h2 over TLS" },
  { transport: "transport-http2", connection: "h2 over TLS" },
];

const protocolOf: Record<Connection, BrowserRow["protocol"]> = { "http/1.1": "http/1.1", "h2 over TLS": "h2" };

export function serverKey(kind: ServerKind): string {
  return `${kind.transport} ${kind.connection}`;
}

export const browserRows: BrowserRow[] = serverKinds.flatMap((server) =>
  clients.map(({ name, client }) => ({ name: `${name}, ${server.connection}, ${server.transport}`, client, server, protocol: protocolOf[server.connection] })),
);

export type { TransportName };
