/**
 * The server's care of one connection: its keepalive PINGs (grpc-go's
 * ServerParameters), the enforcement of the client's PINGs (EnforcementPolicy), and
 * gRFC A9's max idle, max age and age grace. Idle and aged connections are drained
 * with the two GOAWAYs of a graceful shutdown, so no stream on its way is lost.
 */
import {
  KeepalivePinger,
  PingEnforcement,
  maxTimerMs,
  withJitter,
  type KeepaliveEnforcement,
  type ServerKeepalive,
} from "@grpckit/core";

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
  ping(): Promise<number>;
  /** Graceful: GOAWAY saying `reason`, open streams finish, then the connection closes. */
  drain(reason: string): void;
  /** Closes the connection now with `message` as the failure; with `code`, a GOAWAY says so first. */
  abort(message: string, code?: number, debug?: string): void;
}

const ENHANCE_YOUR_CALM = 0xb;

export class ServerKeepaliveManager {
  private readonly pinger: KeepalivePinger;
  private readonly enforcement: PingEnforcement;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private ageTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private ageDeadline = Infinity;
  private stopped = false;

  constructor(
    private readonly conn: ManagedConnection,
    private readonly config: ConnectionManagement,
  ) {
    const keepalive = config.keepalive;
    this.enforcement = new PingEnforcement(config.enforcement);
    this.pinger = new KeepalivePinger(
      (onAck) => {
        conn.ping().then(
          () => onAck(null),
          (e: Error) => onAck(e),
        );
        return true;
      },
      conn,
      {
        timeMs: keepalive.timeMs,
        timeoutMs: keepalive.timeoutMs,
        permitWithoutCalls: true,
        onTimeout: () => conn.abort(`keepalive ping not acknowledged within ${keepalive.timeoutMs} ms`),
      },
    );
    if (keepalive.maxConnectionIdleMs !== Infinity) this.idleTimer = timer(this.onIdleTimer, keepalive.maxConnectionIdleMs);
    if (keepalive.maxConnectionAgeMs !== Infinity) {
      const age = withJitter(keepalive.maxConnectionAgeMs);
      this.ageDeadline = Date.now() + age;
      this.ageTimer = timer(this.onAgeTimer, age);
    }
  }

  /** A client PING arrived; a client with too many strikes is sent away. */
  onPing(): void {
    const conn = this.conn;
    const forgiven = conn.sent;
    conn.sent = false;
    if (this.enforcement.onPing(Date.now(), conn.openStreams, forgiven)) {
      conn.abort("the client sent too many pings", ENHANCE_YOUR_CALM, "too_many_pings");
    }
  }

  /** Clears every timer; the connection has closed. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pinger.stop();
    for (const t of [this.idleTimer, this.ageTimer, this.graceTimer]) if (t !== undefined) clearTimeout(t);
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

function timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, Math.min(Math.max(ms, 0), maxTimerMs));
  t.unref();
  return t;
}
