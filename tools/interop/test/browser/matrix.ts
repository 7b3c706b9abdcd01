/** The browser test matrix: each client and wire format against each server kind, one named row each. */
import type { PageClient } from "./contract.js";
import type { Connection, ServerKind, TransportName } from "./browser-servers.js";

export interface BrowserRow {
  readonly name: string;
  readonly client: PageClient;
  readonly server: ServerKind;
  /** The HTTP version the browser must report for the calls. */
  readonly protocol: "http/1.1" | "h2";
  /** The content types of the server's answers to the cases, sorted: the wire format really used. */
  readonly contentTypes: string[];
}

const clients: { name: string; client: PageClient; contentTypes: string[] }[] = [
  {
    name: "connect-web gRPC-Web binary",
    client: { name: "connect-web", protocol: "grpc-web", binary: true },
    contentTypes: ["application/grpc-web+proto"],
  },
  {
    name: "connect-web gRPC-Web JSON",
    client: { name: "connect-web", protocol: "grpc-web", binary: false },
    contentTypes: ["application/grpc-web+json"],
  },
  {
    // Connect answers unary calls in the bare type, streams in the connect+ type, and unary errors in JSON.
    name: "connect-web Connect binary",
    client: { name: "connect-web", protocol: "connect", binary: true },
    contentTypes: ["application/connect+proto", "application/json", "application/proto"],
  },
  {
    name: "connect-web Connect JSON",
    client: { name: "connect-web", protocol: "connect", binary: false },
    contentTypes: ["application/connect+json", "application/json"],
  },
  { name: "grpc-web runtime grpcweb", client: { name: "grpc-web", mode: "grpcweb" }, contentTypes: ["application/grpc-web+proto"] },
  { name: "grpc-web runtime grpcwebtext", client: { name: "grpc-web", mode: "grpcwebtext" }, contentTypes: ["application/grpc-web-text"] },
];

const protocolOf: Record<Connection, BrowserRow["protocol"]> = { "http/1.1": "http/1.1", "h2 over TLS": "h2", "http/1.1 over TLS": "http/1.1" };

export function serverKey(kind: ServerKind): string {
  return `${kind.transport} ${kind.connection}`;
}

/** Every client against each of `kinds`. */
export function rowsFor(kinds: ServerKind[]): BrowserRow[] {
  return kinds.flatMap((server) =>
    clients.map(({ name, client, contentTypes }) => ({
      name: `${name}, ${server.connection}, ${server.transport}`,
      client,
      server,
      protocol: protocolOf[server.connection],
      contentTypes,
    })),
  );
}

const transports: TransportName[] = ["transport-h2", "transport-http2"];

/** What a browser with HTTP/2 reaches: HTTP/1.1 on a plain port, and HTTP/2 over TLS (it prefers h2 when the server offers it). */
export const defaultBrowserRows = rowsFor(
  transports.flatMap((transport): ServerKind[] => [
    { transport, connection: "http/1.1" },
    { transport, connection: "h2 over TLS" },
  ]),
);

/** What a browser without HTTP/2 reaches on the same TLS servers: HTTP/1.1 over TLS. */
export const http1TlsBrowserRows = rowsFor(transports.map((transport): ServerKind => ({ transport, connection: "http/1.1 over TLS" })));

