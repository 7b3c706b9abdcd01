/**
 * The server's care of one connection: its keepalive PINGs (grpc-go's
 * ServerParameters), the enforcement of the client's PINGs (EnforcementPolicy), and
 * gRFC A9's max idle, max age and age grace.
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
import {
  Http2ErrorCode,
  KeepalivePinger,
  PingEnforcement,
  maxTimerMs,
  tooManyPings,
  withJitter,
  type KeepaliveEnforcement,
  type ServerKeepalive,
} from "@grpckit/core";
import type { ServerConnection } from "./server-stream.js";

/** The server-side keepalive settings of a listener. */
export interface ConnectionManagement {
  readonly keepalive: ServerKeepalive;
  readonly enforcement: KeepaliveEnforcement;
}

export class ServerConnectionManager {
  private readonly pinger: KeepalivePinger;
  private readonly enforcement: PingEnforcement;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private ageTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private ageDeadline = Infinity;
  private draining = false;
  private stopped = false;

  constructor(
    private readonly session: ServerHttp2Session,
    private readonly conn: ServerConnection,
    private readonly config: ConnectionManagement,
  ) {
    const keepalive = config.keepalive;
    this.enforcement = new PingEnforcement(config.enforcement);
    session.on("ping", this.onPing);
    session.once("close", () => this.stop());
    this.pinger = new KeepalivePinger(pingOver(session), conn, {
      timeMs: keepalive.timeMs,
      timeoutMs: keepalive.timeoutMs,
      permitWithoutCalls: true,
      onTimeout: () => this.fail(`keepalive ping not acknowledged within ${keepalive.timeoutMs} ms`, Http2ErrorCode.CANCEL),
    });
    if (keepalive.maxConnectionIdleMs !== Infinity) {
      conn.tracksIdle = true;
      conn.idleSince = Date.now();
      this.idleTimer = timer(this.onIdleTimer, keepalive.maxConnectionIdleMs);
    }
    if (keepalive.maxConnectionAgeMs !== Infinity) {
      const age = withJitter(keepalive.maxConnectionAgeMs);
      this.ageDeadline = Date.now() + age;
      this.ageTimer = timer(this.onAgeTimer, age);
    }
  }

  /** Clears every timer; the connection has closed. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pinger.stop();
    for (const t of [this.idleTimer, this.ageTimer, this.graceTimer]) {
      if (t !== undefined) clearTimeout(t);
    }
  }

  private readonly onPing = (): void => {
    const conn = this.conn;
    const forgiven = conn.sent;
    conn.sent = false;
    if (!this.enforcement.onPing(Date.now(), conn.openStreams, forgiven)) return;
    const session = this.session;
    if (session.destroyed) return;
    session.goaway(Http2ErrorCode.ENHANCE_YOUR_CALM, 0, Buffer.from(tooManyPings, "latin1"));
    this.fail("the client sent too many pings", Http2ErrorCode.ENHANCE_YOUR_CALM);
  };

  private readonly onIdleTimer = (): void => {
    this.idleTimer = undefined;
    if (this.stopped || this.draining) return;
    const limit = this.config.keepalive.maxConnectionIdleMs;
    const conn = this.conn;
    const idleFor = conn.openStreams > 0 ? 0 : Date.now() - conn.idleSince;
    if (idleFor < limit) {
      this.idleTimer = timer(this.onIdleTimer, limit - idleFor);
      return;
    }
    this.goaway("max_idle");
  };

  private readonly onAgeTimer = (): void => {
    this.ageTimer = undefined;
    if (this.stopped) return;
    const left = this.ageDeadline - Date.now();
    if (left > 0) {
      this.ageTimer = timer(this.onAgeTimer, left);
      return;
    }
    this.goaway("max_age");
    const grace = this.config.keepalive.maxConnectionAgeGraceMs;
    if (grace !== Infinity) {
      this.graceTimer = timer(() => this.fail(`max connection age grace of ${grace} ms elapsed`, Http2ErrorCode.CANCEL), grace);
    }
  };

  /** A graceful GOAWAY: open streams finish, new ones go to another connection. */
  private goaway(reason: string): void {
    const session = this.session;
    if (this.draining || session.closed || session.destroyed) return;
    this.draining = true;
    // The GOAWAY names the last stream the server has seen, and says why; close()
    // repeats it (without the reason) and ends the connection once the streams are done.
    session.goaway(Http2ErrorCode.NO_ERROR, 0, Buffer.from(reason, "latin1"));
    session.close();
  }

  private fail(reason: string, code: number): void {
    const session = this.session;
    if (session.destroyed) return;
    const error = new Error(`connection from ${this.conn.peer.address} closed: ${reason}`);
    this.conn.failure ??= error;
    this.stop();
    session.destroy(error, code);
  }
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

function timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, Math.min(Math.max(ms, 0), maxTimerMs));
  t.unref();
  return t;
}
