/**
 * The server side: a node:net server accepts connections, core's `ServerSocketAcceptor`
 * runs the credentials' handshake on each one, and a node:http2 server (never listening
 * itself) runs an HTTP/2 session over the secured socket — or, for HTTP/1.1 (a
 * browser's gRPC-Web calls), node:http parses its requests through core's
 * `Http1Connections`. Over TLS, ALPN says which; on a plain socket, its first bytes do.
 * A failure on one connection closes that connection only.
 */
import {
  chooseProtocol,
  Http1Connections,
  Http2ErrorCode,
  listenOn,
  ServerSocketAcceptor,
  type ConnectionManagement,
  type Http2Headers,
  type Http2Settings,
  type SecuredSocket,
  type ServerTransportOptions,
  type TransportListener,
} from "@grpckit/core";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { manageServerConnection } from "./server-connection-manager.js";
import { ResetFloodGuard } from "./reset-flood-guard.js";
import { StalledSessionSweep } from "./stalled-session-sweep.js";
import { ServerStream, newServerConnection, type ServerConnection } from "./server-stream.js";
import { sessionWindows, toNodeSettings } from "./settings.js";

/** node:http2 session options the builder passes to every server connection. */
export interface ServerSessionOptions {
  settings: Http2Settings;
  maxSessionMemory: number;
  maxOutstandingPings: number | undefined;
  /** Keepalive, ping enforcement and connection age and idleness. */
  management: ConnectionManagement;
  /** Client stream resets per connection per second before the connection is closed; Infinity for no limit. */
  maxResetsPerSecond: number;
}

/** Listens on `address` and resolves once the port is bound. */
export async function listenHttp2(address: string, options: ServerTransportOptions, session: ServerSessionOptions): Promise<TransportListener> {
  const netServer = net.createServer({ noDelay: true });
  const bound = await listenOn(netServer, address);
  return new Http2Listener(netServer, bound, options, session);
}

/** A bound listener and every connection it accepted. */
class Http2Listener implements TransportListener {
  private readonly h2server: http2.Http2Server;
  private readonly http1: Http1Connections;
  private readonly acceptor: ServerSocketAcceptor<net.Socket>;
  private readonly sessions = new Map<http2.ServerHttp2Session, ServerConnection>();
  private readonly sweep = new StalledSessionSweep(this.sessions);
  /** The connection whose socket is being handed to the HTTP/2 server right now. */
  private accepting: ServerConnection | undefined;

  constructor(
    netServer: net.Server,
    readonly address: string,
    private readonly options: ServerTransportOptions,
    session: ServerSessionOptions,
  ) {
    netServer.once("close", () => this.sweep.stop());
    this.h2server = http2.createServer({
      settings: toNodeSettings(session.settings),
      maxSessionMemory: session.maxSessionMemory,
      ...(session.maxOutstandingPings !== undefined ? { maxOutstandingPings: session.maxOutstandingPings } : {}),
    });
    this.h2server.on("session", (s: http2.ServerHttp2Session) => this.onSession(s, session));
    this.http1 = new Http1Connections(http.createServer(), options, session.management);
    this.acceptor = new ServerSocketAcceptor(netServer, address, options.credentials, (secured) => this.start(secured));
  }

  private start(secured: SecuredSocket<net.Socket>): void {
    chooseProtocol(secured, (protocol) => (protocol === "h2" ? this.startHttp2(secured) : this.http1.accept(secured)));
  }

  /** Hands a secured socket to the HTTP/2 server, which starts a session on it. */
  private startHttp2({ socket, peer, localAddress }: SecuredSocket<net.Socket>): void {
    const connection = newServerConnection(peer, localAddress);
    socket.once("close", () => {
      connection.failure ??= new Error(`connection from ${peer.address} closed`);
    });
    this.accepting = connection;
    try {
      this.h2server.emit("connection", socket);
    } finally {
      this.accepting = undefined;
    }
  }

  /** node emits 'session' synchronously inside emit('connection'), so `accepting` is this session's connection. */
  private onSession(session: http2.ServerHttp2Session, options: ServerSessionOptions): void {
    const connection = this.accepting ?? newServerConnection({ address: this.address }, undefined);
    connection.flowControl = () => sessionWindows(session);
    this.sessions.set(session, connection);
    manageServerConnection(session, connection, options.management);
    if (options.maxResetsPerSecond !== Infinity) {
      const guard = new ResetFloodGuard(session, options.maxResetsPerSecond, (e) => {
        connection.failure ??= e;
      });
      connection.onPeerReset = guard.onPeerReset;
    }
    session.on("error", (e: Error) => {
      connection.failure ??= new Error(`connection from ${connection.peer.address} failed: ${e.message}`, { cause: e });
    });
    const { onConnection, onConnectionClose } = this.options;
    session.once("close", () => {
      this.sessions.delete(session);
      this.sweep.forget(session);
      onConnectionClose?.(connection);
    });
    onConnection?.(connection);
    const onStream = this.options.onStream;
    session.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      let serverStream: ServerStream | undefined;
      const id = stream.id;
      if (id !== undefined && id > connection.lastStreamId) connection.lastStreamId = id;
      try {
        serverStream = new ServerStream(stream, headers as Http2Headers, connection);
        onStream(serverStream);
      } catch {
        // A failing stream handler costs that stream, not the process.
        if (serverStream !== undefined) serverStream.reset(Http2ErrorCode.INTERNAL_ERROR);
        else if (!stream.destroyed) stream.close(Http2ErrorCode.INTERNAL_ERROR);
      }
    });
    const windowSize = options.settings.connectionWindowSize;
    if (windowSize !== undefined) {
      try {
        session.setLocalWindowSize(windowSize);
      } catch (e) {
        session.destroy(e as Error);
      }
    }
    // Its first bytes may have come after the listener began to drain.
    if (this.acceptor.stopping && !session.destroyed) session.close();
  }

  drain(): Promise<void> {
    if (!this.acceptor.stopping) {
      this.acceptor.drain();
      this.http1.drain();
      for (const session of this.sessions.keys()) session.close();
      // The acceptor closes once every socket it accepted closed, HTTP/1.1 ones included.
      void this.acceptor.closed.then(() => this.http1.close());
    }
    return this.acceptor.closed;
  }

  close(): void {
    this.sweep.stop();
    this.http1.close();
    // Sockets first, so clients see the connection drop rather than streams that end
    // without trailers.
    this.acceptor.destroySockets();
    for (const [session, connection] of this.sessions) {
      const error = new Error("the server closed the connection");
      connection.failure ??= error;
      // With CANCEL, not node's default NO_ERROR: node:http2 can spin forever resetting a
      // stream with NO_ERROR when the session is destroyed from inside one of its callbacks.
      session.destroy(error, Http2ErrorCode.CANCEL);
    }
  }
}
