/**
 * The server's care of one connection: core's ServerKeepaliveManager (keepalive PINGs,
 * ping enforcement, gRFC A9's max idle, max age and age grace) over a node:http2
 * session.
 *
 * A connection closed for idleness or age gets one GOAWAY naming the last stream the
 * server has seen. grpc-go first sends a GOAWAY naming the largest stream id and a
 * PING, and names the real last stream when the ACK returns; on node:http2 that cannot
 * work: once a GOAWAY is sent and no stream is open, node stops reading the socket, so
 * the ACK (and any stream still on its way) is never read. A stream the client sent
 * before it read the GOAWAY is refused (REFUSED_STREAM): the server never saw it, so
 * the client may send it again on its next connection.
 */
import type { Http2Session, ServerHttp2Session } from "node:http2";
import { Http2ErrorCode, ServerKeepaliveManager, type ConnectionManagement, type ManagedConnection } from "@grpckit/core";
import type { ServerConnection } from "./server-stream.js";

/** Starts managing a server session's connection until the session closes. */
export function manageServerConnection(session: ServerHttp2Session, conn: ServerConnection, config: ConnectionManagement): void {
  if (config.keepalive.maxConnectionIdleMs !== Infinity) {
    conn.tracksIdle = true;
    conn.idleSince = Date.now();
  }
  const managed: ManagedConnection = {
    get received() {
      return conn.received;
    },
    set received(value: boolean) {
      conn.received = value;
    },
    get sent() {
      return conn.sent;
    },
    set sent(value: boolean) {
      conn.sent = value;
    },
    get openStreams() {
      return conn.openStreams;
    },
    get idleSince() {
      return conn.idleSince;
    },
    sendPing: pingOver(session),
    drain(reason) {
      if (session.closed || session.destroyed) return;
      // The GOAWAY names the last stream the server has seen, and says why; close()
      // repeats it (without the reason) and ends the connection once the streams are done.
      session.goaway(Http2ErrorCode.NO_ERROR, 0, Buffer.from(reason, "latin1"));
      session.close();
    },
    abort(message, code, debug) {
      if (session.destroyed) return;
      if (code !== undefined) session.goaway(code, 0, Buffer.from(debug ?? message, "latin1"));
      const error = new Error(`connection from ${conn.peer.address} closed: ${message}`);
      conn.failure ??= error;
      session.destroy(error, code ?? Http2ErrorCode.CANCEL);
    },
  };
  const manager = new ServerKeepaliveManager(managed, config);
  conn.keepalivesSent = () => manager.pingsSent;
  session.on("ping", () => manager.onPing());
  session.once("close", () => manager.stop());
}

/** Sends a PING on a node:http2 session for the keepalive loop; false when node refuses it. */
export function pingOver(session: Http2Session): (onAck: (error: Error | null) => void) => boolean {
  return (onAck) => {
    if (session.destroyed || session.closed) return false;
    try {
      return session.ping(onAck);
    } catch {
      return false;
    }
  };
}
