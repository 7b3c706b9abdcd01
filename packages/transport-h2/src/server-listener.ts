/**
 * The server side over node:net: core's `ServerSocketAcceptor` takes each accepted
 * socket through the credentials' handshake, then the socket carries one HTTP/2
 * connection — or, when its first bytes are not HTTP/2's preface, HTTP/1.1 requests
 * (a browser's gRPC-Web calls), which node:http parses. A failure on one connection
 * closes that connection only.
 */
import {
  Http1ServerStream,
  listenOn,
  ServerSocketAcceptor,
  type ConnectionManagement,
  type Peer,
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
    this.acceptor = new ServerSocketAcceptor(netServer, address, options.credentials, (secured) => this.start(secured));
  }

  /** Parses the HTTP/1.1 connections; created with the first one. */
  private http1: http.Server | undefined;
  /** Who is on each HTTP/1.1 connection, for its requests. */
  private readonly http1Peers = new WeakMap<object, Peer>();

  private start(secured: SecuredSocket<net.Socket>): void {
    const socket = secured.socket;
    // A connection that never says anything is not kept: the same bound HTTP/2 puts on
    // a client that never acknowledges our SETTINGS.
    const silent = setTimeout(() => socket.destroy(), firstBytesTimeoutMs);
    silent.unref?.();
    // HTTP/2's preface starts "PRI "; an HTTP/1.1 request starts with its method.
    const sniff = () => {
      const first = socket.read() as Buffer | null;
      if (first === null) return;
      clearTimeout(silent);
      socket.off("readable", sniff);
      socket.unshift(first);
      if (isPrefacePrefix(first)) this.startHttp2(secured);
      else this.startHttp1(secured);
    };
    socket.on("readable", sniff);
    socket.once("close", () => clearTimeout(silent));
  }

  private startHttp1({ socket, peer }: SecuredSocket<net.Socket>): void {
    if (this.http1 === undefined) {
      const server = http.createServer((req, res) => {
        // A draining server answers what it was sent and lets each connection go.
        if (this.drained !== undefined) res.shouldKeepAlive = false;
        this.options.onStream(new Http1ServerStream(req, res, this.http1Peers.get(req.socket) ?? peer, "http"));
      });
      // The server never listens itself (connections come from our listener), but
      // "listening" is what starts its tracking of connections: the header and request
      // timeouts, and closing idle or all connections.
      server.emit("listening");
      this.http1 = server;
    }
    this.http1Peers.set(socket, peer);
    this.http1.emit("connection", socket);
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
    this.http1?.closeIdleConnections();
    for (const connection of this.connections) connection.drain();
    const connectionsClosed =
      this.connections.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.allClosed = resolve));
    this.drained = Promise.all([this.acceptor.closed, connectionsClosed]).then(() => {
      this.http1?.close();
    });
    return this.drained;
  }

  close(): void {
    this.http1?.closeAllConnections();
    this.http1?.close();
    this.acceptor.stop();
    const error = new Error("the server closed the connection");
    for (const connection of this.connections) connection.destroy(error);
    this.acceptor.destroySockets();
  }
}

const preface = Buffer.from("PRI ");

/** How long an accepted connection may stay silent before its first bytes. */
const firstBytesTimeoutMs = 10_000;

/** Whether `first` starts like HTTP/2's connection preface (or is too short to tell otherwise). */
function isPrefacePrefix(first: Buffer): boolean {
  const n = Math.min(first.byteLength, preface.byteLength);
  return first.subarray(0, n).equals(preface.subarray(0, n));
}
