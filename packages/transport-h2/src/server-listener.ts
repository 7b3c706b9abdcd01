/**
 * The server side over node:net: each accepted socket goes through the credentials'
 * handshake, then carries one HTTP/2 connection. A failure on one connection closes
 * that connection only.
 */
import {
  formatBoundAddress,
  formatHostPort,
  parseTransportAddress,
  type ConnectionManagement,
  type HandshakeResult,
  type NetAddress,
  type ServerTransportOptions,
  type TransportListener,
} from "@grpckit/core";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { FloodLimits, LocalSettings } from "./connection.js";
import { H2ServerConnection } from "./server-connection.js";

/** Listens on `address` and resolves once the port is bound. */
export function listenH2(
  address: string,
  options: ServerTransportOptions,
  local: LocalSettings,
  limits: FloodLimits,
  management: ConnectionManagement | undefined,
): Promise<TransportListener> {
  let target: NetAddress;
  try {
    target = parseTransportAddress(address);
  } catch (e) {
    return Promise.reject(e);
  }
  const netServer = net.createServer({ noDelay: true });
  return new Promise<TransportListener>((resolve, reject) => {
    const onListenError = (e: Error) => {
      reject(new Error(`cannot listen on ${address}: ${e.message}`, { cause: e }));
    };
    netServer.once("error", onListenError);
    const bind = "path" in target ? { path: target.path } : target.host === "" ? { port: target.port } : { host: target.host, port: target.port };
    netServer.listen(bind, () => {
      netServer.off("error", onListenError);
      resolve(new H2Listener(netServer, formatBoundAddress(netServer.address(), address), options, local, limits, management));
    });
  });
}

class H2Listener implements TransportListener {
  /** Accepted sockets, from accept until closed (handshaking ones included). */
  private readonly sockets = new Set<net.Socket>();
  private readonly handshaking = new Set<net.Socket>();
  /** The secured (e.g. TLS) socket over each raw one, once its handshake finished. */
  private readonly securedOf = new Map<net.Socket, Duplex>();
  private readonly connections = new Set<H2ServerConnection>();
  private stopping = false;
  private readonly netClosed: Promise<void>;
  private allClosed: (() => void) | undefined;
  private drained: Promise<void> | undefined;

  constructor(
    private readonly netServer: net.Server,
    readonly address: string,
    private readonly options: ServerTransportOptions,
    private readonly local: LocalSettings,
    private readonly limits: FloodLimits,
    private readonly management: ConnectionManagement | undefined,
  ) {
    this.netClosed = new Promise((resolve) => netServer.once("close", () => resolve()));
    // Errors after listening belong to single connections; they are handled there.
    netServer.on("error", () => {});
    netServer.on("connection", (socket: net.Socket) => this.accept(socket));
  }

  private accept(raw: net.Socket): void {
    if (this.stopping) {
      raw.destroy();
      return;
    }
    this.sockets.add(raw);
    raw.on("error", () => {});
    raw.once("close", () => {
      this.sockets.delete(raw);
      this.handshaking.delete(raw);
      this.securedOf.delete(raw);
    });
    this.handshaking.add(raw);
    const peerAddress = raw.remoteAddress !== undefined ? formatHostPort(raw.remoteAddress, raw.remotePort ?? 0) : this.address;
    let handshake: Promise<HandshakeResult>;
    try {
      handshake = this.options.credentials.serverHandshake(raw);
    } catch {
      raw.destroy();
      return;
    }
    handshake.then(
      (hs) => {
        this.handshaking.delete(raw);
        const secured = hs.socket;
        const alpn = hs.alpnProtocol;
        if (this.stopping || raw.destroyed || secured.destroyed || (typeof alpn === "string" && alpn !== "h2")) {
          secured.destroy();
          raw.destroy();
          return;
        }
        if (secured !== raw) {
          secured.on("error", () => {});
          this.securedOf.set(raw, secured);
        }
        const localAddress = raw.localAddress !== undefined ? formatHostPort(raw.localAddress, raw.localPort ?? 0) : this.address;
        const connection = new H2ServerConnection(secured, this.local, this.limits, { address: peerAddress, authInfo: hs.authInfo }, localAddress, {
          onStream: this.options.onStream,
          onClose: (c) => this.connectionClosed(c),
        }, this.management);
        this.connections.add(connection);
        this.options.onConnection?.(connection);
      },
      () => raw.destroy(),
    );
  }

  private connectionClosed(connection: H2ServerConnection): void {
    if (!this.connections.delete(connection)) return;
    this.options.onConnectionClose?.(connection);
    if (this.connections.size === 0) this.allClosed?.();
  }

  drain(): Promise<void> {
    if (this.drained !== undefined) return this.drained;
    if (!this.stopping) {
      this.stopping = true;
      this.netServer.close();
    }
    // Sockets still in their handshake have no connection to drain.
    for (const socket of this.handshaking) socket.destroy();
    for (const connection of this.connections) connection.drain();
    const connectionsClosed =
      this.connections.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.allClosed = resolve));
    this.drained = Promise.all([this.netClosed, connectionsClosed]).then(() => undefined);
    return this.drained;
  }

  close(): void {
    const wasStopping = this.stopping;
    this.stopping = true;
    if (!wasStopping) this.netServer.close();
    const error = new Error("the server closed the connection");
    // A wrapper (TLS) goes before the socket under it: node can crash reading a TLS
    // socket whose raw socket was destroyed first.
    for (const connection of this.connections) connection.destroy(error);
    for (const socket of this.sockets) {
      this.securedOf.get(socket)?.destroy();
      socket.destroy();
    }
  }
}
