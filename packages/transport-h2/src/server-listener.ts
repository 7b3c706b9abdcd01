/**
 * The server side over node:net: core's `ServerSocketAcceptor` takes each accepted
 * socket through the credentials' handshake, then the socket carries one HTTP/2
 * connection or HTTP/1.1 requests (a browser's gRPC-Web calls), which node:http parses
 * through core's `Http1Connections`. Over TLS, ALPN says which; on a plain socket, its
 * first bytes do (HTTP/2's preface, or an HTTP/1.1 request line). A failure on one
 * connection closes that connection only.
 */
import {
  chooseProtocol,
  Http1Connections,
  listenOn,
  ServerSocketAcceptor,
  type ConnectionManagement,
  type SecuredSocket,
  type ServerTransportOptions,
  type TransportListener,
} from "@grpckit/core";
import http from "node:http";
import net from "node:net";
import type { FloodLimits, LocalSettings } from "./connection.js";
import { H2ServerConnection } from "./server-connection.js";

/** Listens on `address` and resolves once the port is bound. */
export async function listenH2(
  address: string,
  options: ServerTransportOptions,
  local: LocalSettings,
  limits: FloodLimits,
  management: ConnectionManagement | undefined,
): Promise<TransportListener> {
  const netServer = net.createServer({ noDelay: true });
  const bound = await listenOn(netServer, address);
  return new H2Listener(netServer, bound, options, local, limits, management);
}

class H2Listener implements TransportListener {
  private readonly acceptor: ServerSocketAcceptor<net.Socket>;
  private readonly connections = new Set<H2ServerConnection>();
  private readonly http1: Http1Connections;
  private allClosed: (() => void) | undefined;
  /** Set when drain() begins: from then on, new connections and requests are drained too. */
  private drained: Promise<void> | undefined;

  constructor(
    netServer: net.Server,
    readonly address: string,
    private readonly options: ServerTransportOptions,
    private readonly local: LocalSettings,
    private readonly limits: FloodLimits,
    private readonly management: ConnectionManagement | undefined,
  ) {
    this.http1 = new Http1Connections(http.createServer(), options, management);
    this.acceptor = new ServerSocketAcceptor(netServer, address, options.credentials, (secured) => this.start(secured));
  }

  private start(secured: SecuredSocket<net.Socket>): void {
    chooseProtocol(secured, (protocol) => (protocol === "h2" ? this.startHttp2(secured) : this.http1.accept(secured)));
  }

  private startHttp2({ socket, peer, localAddress }: SecuredSocket<net.Socket>): void {
    const connection = new H2ServerConnection(socket, this.local, this.limits, peer, localAddress, {
      onStream: this.options.onStream,
      onClose: (c) => this.connectionClosed(c),
    }, this.management);
    this.connections.add(connection);
    this.options.onConnection?.(connection);
    // Its first bytes may have come after the listener began to drain.
    if (this.drained !== undefined) connection.drain();
  }

  private connectionClosed(connection: H2ServerConnection): void {
    if (!this.connections.delete(connection)) return;
    this.options.onConnectionClose?.(connection);
    if (this.connections.size === 0) this.allClosed?.();
  }

  drain(): Promise<void> {
    if (this.drained !== undefined) return this.drained;
    this.acceptor.drain();
    this.http1.drain();
    for (const connection of this.connections) connection.drain();
    const connectionsClosed =
      this.connections.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.allClosed = resolve));
    // The acceptor closes once every socket it accepted closed, HTTP/1.1 ones included.
    this.drained = Promise.all([this.acceptor.closed, connectionsClosed]).then(() => this.http1.close());
    return this.drained;
  }

  close(): void {
    this.http1.close();
    this.acceptor.stop();
    const error = new Error("the server closed the connection");
    for (const connection of this.connections) connection.destroy(error);
    this.acceptor.destroySockets();
  }
}
