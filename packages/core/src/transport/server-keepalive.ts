/**
 * The server's care of one connection, for any transport: its keepalive PINGs
 * (grpc-go's ServerParameters), the enforcement of the client's PINGs
 * (EnforcementPolicy), and gRFC A9's max idle, max age and age grace. A transport
 * supplies the connection's flags and how to ping, drain and abort it.
 */
import { withJitter, type KeepaliveEnforcement, type ServerKeepalive } from "./keepalive-options.js";
import { KeepalivePinger } from "./keepalive-pinger.js";
import { LongTimer } from "../timers/long-timer.js";
import { PingEnforcement, tooManyPings } from "./ping-enforcement.js";
import { Http2ErrorCode } from "./transport.js";

/** The server-side keepalive settings of a listener. */
export interface ConnectionManagement {
  readonly keepalive: ServerKeepalive;
  readonly enforcement: KeepaliveEnforcement;
}

/** What the manager needs of its connection. */
export interface ManagedConnection {
  received: boolean;
  /** Set when headers or data are sent; the manager clears it at each client PING. */
  sent: boolean;
  readonly openStreams: number;
  /** When the last stream closed (Date.now()), or when the connection opened. */
  readonly idleSince: number;
  /** Sends a PING, calling `onAck` when it is answered; false when it cannot be sent now. */
  sendPing(onAck: (error: Error | null) => void): boolean;
  /** Graceful: GOAWAY saying `reason`, open streams finish, then the connection closes. */
  drain(reason: string): void;
  /** Closes the connection now with `message` as the failure; with `code`, a GOAWAY carrying it and `debug` goes first. */
  abort(message: string, code?: number, debug?: string): void;
}

export class ServerKeepaliveManager {
  private readonly pinger: KeepalivePinger;
  private readonly enforcement: PingEnforcement;
  private idleTimer: LongTimer | undefined;
  private ageTimer: LongTimer | undefined;
  private graceTimer: LongTimer | undefined;
  private ageDeadline = Infinity;
  private stopped = false;

  constructor(
    private readonly conn: ManagedConnection,
    private readonly config: ConnectionManagement,
  ) {
    const keepalive = config.keepalive;
    this.enforcement = new PingEnforcement(config.enforcement);
    this.pinger = new KeepalivePinger((onAck) => conn.sendPing(onAck), conn, {
      timeMs: keepalive.timeMs,
      timeoutMs: keepalive.timeoutMs,
      permitWithoutCalls: true,
      onTimeout: () => conn.abort(`keepalive ping not acknowledged within ${keepalive.timeoutMs} ms`),
    });
    if (keepalive.maxConnectionIdleMs !== Infinity) this.idleTimer = timer(this.onIdleTimer, keepalive.maxConnectionIdleMs);
    if (keepalive.maxConnectionAgeMs !== Infinity) {
      const age = withJitter(keepalive.maxConnectionAgeMs);
      this.ageDeadline = Date.now() + age;
      this.ageTimer = timer(this.onAgeTimer, age);
    }
  }

  /** Keepalive PINGs sent to the client so far. */
  get pingsSent(): number {
    return this.pinger.pingsSent;
  }

  /** A client PING arrived; a client with too many strikes is sent away. */
  onPing(): void {
    const conn = this.conn;
    const forgiven = conn.sent;
    conn.sent = false;
    if (this.enforcement.onPing(Date.now(), conn.openStreams, forgiven)) {
      conn.abort("the client sent too many pings", Http2ErrorCode.ENHANCE_YOUR_CALM, tooManyPings);
    }
  }

  /** Clears every timer; the connection has closed. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pinger.stop();
    for (const t of [this.idleTimer, this.ageTimer, this.graceTimer]) t?.clear();
  }

  private readonly onIdleTimer = (): void => {
    this.idleTimer = undefined;
    if (this.stopped) return;
    const limit = this.config.keepalive.maxConnectionIdleMs;
    const conn = this.conn;
    const idleFor = conn.openStreams > 0 ? 0 : Date.now() - conn.idleSince;
    if (idleFor < limit) {
      this.idleTimer = timer(this.onIdleTimer, limit - idleFor);
      return;
    }
    conn.drain("max_idle");
  };

  private readonly onAgeTimer = (): void => {
    this.ageTimer = undefined;
    if (this.stopped) return;
    const left = this.ageDeadline - Date.now();
    if (left > 0) {
      this.ageTimer = timer(this.onAgeTimer, left);
      return;
    }
    this.conn.drain("max_age");
    const grace = this.config.keepalive.maxConnectionAgeGraceMs;
    if (grace !== Infinity) {
      this.graceTimer = timer(() => this.conn.abort(`max connection age grace of ${grace} ms elapsed`), grace);
    }
  };
}

function timer(fn: () => void, ms: number): LongTimer {
  return new LongTimer(fn, ms, true);
}
