/**
 * Finds connections node:http2 has silently stopped serving. On some connection errors
 * (a header field over 64 KiB: COMPRESSION_ERROR) nghttp2 sends GOAWAY and node stops
 * reading the socket, with no event on the JavaScript side. As nothing more is read,
 * not even the client closing its end is noticed, so the socket and its session would
 * stay open for good: a client could use up the server's file descriptors one bad header
 * block at a time.
 *
 * Such an error leaves one trace: a stream node processed (`state.lastProcStreamID`)
 * that never reached the server. A stream refused on its own leaves the same trace, so
 * the sweep asks with a PING: a connection that does not ACK it by the next sweep is closed.
 */
import { Http2ErrorCode } from "@grpckit/core";
import type { ServerHttp2Session } from "node:http2";
import type { ServerConnection } from "./server-stream.js";

/** How often a listener looks for stalled connections; one is closed within two of these. */
export const stalledSessionSweepMs = 2000;

interface Probe {
  acked: boolean;
}

export class StalledSessionSweep {
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly probes = new Map<ServerHttp2Session, Probe>();

  constructor(private readonly sessions: ReadonlyMap<ServerHttp2Session, ServerConnection>) {
    this.timer = setInterval(this.sweep, stalledSessionSweepMs);
    this.timer.unref();
  }

  /** The session has closed. */
  forget(session: ServerHttp2Session): void {
    this.probes.delete(session);
  }

  stop(): void {
    clearInterval(this.timer);
    this.probes.clear();
  }

  private readonly sweep = (): void => {
    for (const [session, conn] of this.sessions) {
      if (session.destroyed) continue;
      const probe = this.probes.get(session);
      if (probe !== undefined) {
        this.probes.delete(session);
        // After a stalled event loop, timers run before pending reads: the ACK may be
        // waiting in the socket, so it gets one round of I/O before the verdict.
        if (!probe.acked) setImmediate(() => this.closeUnless(probe, session, conn));
        continue;
      }
      let lastProcessed: number;
      try {
        lastProcessed = session.state.lastProcStreamID ?? 0;
      } catch {
        continue;
      }
      if (lastProcessed <= conn.lastStreamId) continue;
      const next: Probe = { acked: false };
      this.probes.set(session, next);
      try {
        session.ping((error) => {
          if (error !== null) return;
          next.acked = true;
          if (conn.lastStreamId < lastProcessed) conn.lastStreamId = lastProcessed;
        });
      } catch {
        // A session that cannot send a PING is closed at the next sweep.
      }
    }
  };

  private closeUnless(probe: Probe, session: ServerHttp2Session, conn: ServerConnection): void {
    if (probe.acked || session.destroyed) return;
    const error = new Error(`connection from ${conn.peer.address} closed: node:http2 stopped reading it after a connection error`);
    conn.failure ??= error;
    session.destroy(error, Http2ErrorCode.PROTOCOL_ERROR);
  }
}
