/**
 * The server side over node:net: core's `ServerSocketAcceptor` takes each accepted
 * socket through the credentials' handshake, then the socket carries one HTTP/2
 * connection. A failure on one connection closes that connection only.
 */
import {
  listenOn,
  ServerSocketAcceptor,
  type ConnectionManagement,
  type SecuredSocket,
  type ServerTransportOptions,
  type TransportListener,
} from "@grpckit/core";
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
  private allClosed: (() => void) | undefined;
  private drained: Promise<void> | undefined;

  constructor(
    netServer: net.Server,
    readonly address: string,
    private readonly options: ServerTransportOptions,
    private readonly local: LocalSettings,
    private readonly limits: FloodLimits,
    private readonly management: ConnectionManagement | undefined,
  ) {
    this.acceptor = new ServerSocketAcceptor(netServer, address, options.credentials, (secured) => this.start(secured));
  }

  private start({ socket, peer, localAddress }: SecuredSocket<net.Socket>): void {
    const connection = new H2ServerConnection(socket, this.local, this.limits, peer, localAddress, {
      onStream: this.options.onStream,
      onClose: (c) => this.connectionClosed(c),
    }, this.management);
    this.connections.add(connection);
    this.options.onConnection?.(connection);
  }

  private connectionClosed(connection: H2ServerConnection): void {
    if (!this.connections.delete(connection)) return;
    this.options.onConnectionClose?.(connection);
    if (this.connections.size === 0) this.allClosed?.();
  }

  drain(): Promise<void> {
    if (this.drained !== undefined) return this.drained;
    this.acceptor.drain();
    for (const connection of this.connections) connection.drain();
    const connectionsClosed =
      this.connections.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.allClosed = resolve));
    this.drained = Promise.all([this.acceptor.closed, connectionsClosed]).then(() => undefined);
    return this.drained;
  }

  close(): void {
    this.acceptor.stop();
    const error = new Error("the server closed the connection");
    for (const connection of this.connections) connection.destroy(error);
    this.acceptor.destroySockets();
  }
}
