/**
 * The HTTP/1.1 connections of a socket listener (a browser's gRPC-Web calls, over plain
 * TCP or over TLS by ALPN), parsed by node:http. Each connection is reported to the
 * server as an HTTP/2 connection is (channelz, stats), carries its requests as
 * `Http1ServerStream`s, and follows the listener's connection management: max idle and
 * max age close it between requests, and a drain lets the request in flight finish and
 * then closes it. HTTP/1.1 has no PING, so no keepalive PINGs go out on it; node:http's
 * keep-alive timeout closes a connection the client leaves idle.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Http1ServerStream } from "./http1-server-stream.js";
import { ServerKeepaliveManager, type ConnectionManagement, type ManagedConnection } from "./server-keepalive.js";
import type { SecuredSocket } from "./server-socket-acceptor.js";
import type { NetSocket } from "./socket-types.js";
import type { Peer, ServerConnection, ServerTransportOptions } from "./transport.js";

/** The HTTP/1.1 side of one listener; the transport hands it the sockets that speak HTTP/1.1. */
export class Http1Connections {
  private readonly bySocket = new Map<Duplex, Http1Connection>();
  private readonly scheme: "http" | "https";
  private draining = false;
  private stopped = false;

  /**
   * @param server a node:http server made by the transport (`http.createServer()`); it never
   *   listens itself, the listener's sockets are handed to it.
   * @param management the listener's max idle and max age, applied to each connection.
   */
  constructor(
    private readonly server: HttpServer,
    private readonly options: ServerTransportOptions,
    private readonly management: ConnectionManagement | undefined,
  ) {
    this.scheme = options.credentials.secure ? "https" : "http";
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    // "listening" is what starts node:http's tracking of connections: the header and
    // request timeouts, and closing idle or all connections.
    server.emit("listening");
  }

  /** HTTP/1.1 connections open now. */
  get size(): number {
    return this.bySocket.size;
  }

  /** Starts HTTP/1.1 on a secured socket. */
  accept(secured: SecuredSocket<NetSocket>): void {
    const { socket } = secured;
    const connection = new Http1Connection(socket, secured.peer, secured.localAddress, this.management);
    this.bySocket.set(socket, connection);
    socket.once("close", () => {
      this.bySocket.delete(socket);
      connection.closed();
      this.options.onConnectionClose?.(connection);
    });
    this.options.onConnection?.(connection);
    // A connection whose first bytes (a request) came after the listener began to drain
    // is answered, then closed.
    if (this.draining) connection.drainAfterFirstRequest();
    this.server.emit("connection", socket);
  }

  /** Each request in flight finishes, then its connection closes; idle connections close now. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const connection of this.bySocket.values()) connection.drain();
  }

  /** Closes every connection now, and stops node:http's timers. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server.closeAllConnections();
    this.server.close();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.bySocket.get(req.socket);
    if (connection === undefined) {
      res.destroy();
      return;
    }
    connection.requestStarted(res);
    try {
      this.options.onStream(new Http1ServerStream(req, res, connection.peer, this.scheme, connection));
    } catch {
      // A failing stream handler costs that request, not the process.
      res.destroy();
    }
  }
}

/** One HTTP/1.1 connection, as the server and its connection management see it. */
class Http1Connection implements ServerConnection, ManagedConnection {
  received = false;
  sent = false;
  openStreams = 0;
  idleSince = Date.now();
  private draining = false;
  private readonly responses = new Set<ServerResponse>();
  private readonly manager: ServerKeepaliveManager | undefined;

  constructor(
    private readonly socket: Duplex,
    readonly peer: Peer,
    readonly localAddress: string,
    management: ConnectionManagement | undefined,
  ) {
    if (management !== undefined) this.manager = new ServerKeepaliveManager(this, management);
  }

  requestStarted(res: ServerResponse): void {
    this.received = true;
    this.openStreams++;
    this.responses.add(res);
    if (this.draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      this.responses.delete(res);
      this.openStreams--;
      this.idleSince = Date.now();
      if (this.draining && this.openStreams === 0) this.end();
    });
  }

  /** HTTP/1.1 has no PING. */
  sendPing(): boolean {
    return false;
  }

  /** No new request after the ones in flight: each of them says "Connection: close", then the socket ends; an idle one ends now. */
  drain(): void {
    this.draining = true;
    for (const res of this.responses) {
      if (!res.headersSent) res.shouldKeepAlive = false;
    }
    if (this.openStreams === 0) this.end();
  }

  /** Drains a connection whose first request is still being read: it is answered, with "Connection: close". */
  drainAfterFirstRequest(): void {
    this.draining = true;
  }

  abort(): void {
    this.socket.destroy();
  }

  /** The socket closed. */
  closed(): void {
    this.manager?.stop();
  }

  /** Ends the socket once what was written has gone out. */
  private end(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableFinished) {
      socket.destroy();
      return;
    }
    socket.once("finish", () => socket.destroy());
    socket.end();
  }
}
