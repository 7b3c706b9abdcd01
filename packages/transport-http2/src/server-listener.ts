/**
 * The server side: a node:net server accepts connections, the credentials' handshake
 * secures each one, and a node:http2 server (never listening itself) runs an HTTP/2
 * session over the secured socket. A failure on one connection closes that connection only.
 */
import {
  Http2ErrorCode,
  type HandshakeResult,
  type Http2Headers,
  type Http2Settings,
  type ServerTransportOptions,
  type TransportListener,
} from "@grpckit/core";
import http2 from "node:http2";
import net from "node:net";
import type { Duplex } from "node:stream";
import { formatBoundAddress, formatHostPort, parseTransportAddress, type ConnectionManagement, type NetAddress } from "@grpckit/core";
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
export function listenHttp2(address: string, options: ServerTransportOptions, session: ServerSessionOptions): Promise<TransportListener> {
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
    netServer.listen("path" in target ? { path: target.path } : target.host === "" ? { port: target.port } : { host: target.host, port: target.port }, () => {
      netServer.off("error", onListenError);
      resolve(new Http2Listener(netServer, formatBoundAddress(netServer.address(), address), options, session));
    });
  });
}

/** A bound listener and every connection it accepted. */
class Http2Listener implements TransportListener {
  private readonly h2server: http2.Http2Server;
  /** Accepted sockets, from accept until closed (handshaking ones included). */
  private readonly sockets = new Set<net.Socket>();
  /** Accepted sockets whose handshake has not finished. */
  private readonly handshaking = new Set<net.Socket>();
  /** The secured (e.g. TLS) socket over each raw one, once its handshake finished. */
  private readonly securedOf = new Map<net.Socket, Duplex>();
  private readonly sessions = new Map<http2.ServerHttp2Session, ServerConnection>();
  private readonly sweep = new StalledSessionSweep(this.sessions);
  /** The connection whose socket is being handed to the HTTP/2 server right now. */
  private accepting: ServerConnection | undefined;
  private stopping = false;
  private readonly netClosed: Promise<void>;

  constructor(
    private readonly netServer: net.Server,
    readonly address: string,
    private readonly options: ServerTransportOptions,
    session: ServerSessionOptions,
  ) {
    this.netClosed = new Promise((resolve) => netServer.once("close", () => resolve()));
    netServer.once("close", () => this.sweep.stop());
    // Errors after listening belong to single connections; they are handled there.
    netServer.on("error", () => {});
    this.h2server = http2.createServer({
      settings: toNodeSettings(session.settings),
      maxSessionMemory: session.maxSessionMemory,
      ...(session.maxOutstandingPings !== undefined ? { maxOutstandingPings: session.maxOutstandingPings } : {}),
    });
    this.h2server.on("session", (s: http2.ServerHttp2Session) => this.onSession(s, session));
    netServer.on("connection", (socket: net.Socket) => this.onConnection(socket));
  }

  private onConnection(raw: net.Socket): void {
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
        const connection = newServerConnection({ address: peerAddress, authInfo: hs.authInfo }, localAddress);
        const onSocketGone = () => {
          connection.failure ??= new Error(`connection from ${peerAddress} closed`);
        };
        secured.once("close", onSocketGone);
        this.accepting = connection;
        try {
          this.h2server.emit("connection", secured);
        } catch {
          secured.destroy();
          raw.destroy();
        } finally {
          this.accepting = undefined;
        }
      },
      () => raw.destroy(),
    );
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
  }

  drain(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.netServer.close();
      // Sockets still in their handshake have no session to drain.
      for (const socket of this.handshaking) socket.destroy();
      for (const session of this.sessions.keys()) session.close();
    }
    return this.netClosed;
  }

  close(): void {
    const wasStopping = this.stopping;
    this.stopping = true;
    if (!wasStopping) this.netServer.close();
    this.sweep.stop();
    // Sockets first, so clients see the connection drop rather than streams that end
    // without trailers.
    // A wrapper (TLS) goes before the socket under it: node can crash reading a TLS
    // socket whose raw socket was destroyed first.
    for (const socket of this.sockets) {
      this.securedOf.get(socket)?.destroy();
      socket.destroy();
    }
    for (const [session, connection] of this.sessions) {
      const error = new Error("the server closed the connection");
      connection.failure ??= error;
      // With CANCEL, not node's default NO_ERROR: node:http2 can spin forever resetting a
      // stream with NO_ERROR when the session is destroyed from inside one of its callbacks.
      session.destroy(error, Http2ErrorCode.CANCEL);
    }
  }
}
