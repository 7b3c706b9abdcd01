/**
 * Server-side keepalive enforcement, as grpc-go's: each PING a client sends that comes
 * too soon after the previous one earns a strike, and a client with more than two
 * strikes is told GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and disconnected. Sending
 * headers or data to the client forgives it: the next PING starts a fresh count.
 */
import type { KeepaliveEnforcement } from "./keepalive-options.js";

/** Strikes allowed before the connection is closed. */
const maxPingStrikes = 2;
/** With no stream open (and pings without calls not permitted), pings closer together than this earn strikes. */
const idlePingIntervalMs = 2 * 60 * 60 * 1000;

/** The GOAWAY debug data telling a client it pinged too often. */
export const tooManyPings = "too_many_pings";

/** One connection's ping strikes. */
export class PingEnforcement {
  private lastPingAt = -Infinity;
  private strikes = 0;

  constructor(private readonly policy: KeepaliveEnforcement) {}

  /**
   * Records a PING received at `now` (ms) with `openStreams` open; `forgiven` when
   * headers or data were sent since the previous one. True when the client must go.
   */
  onPing(now: number, openStreams: number, forgiven: boolean): boolean {
    const last = this.lastPingAt;
    this.lastPingAt = now;
    if (forgiven) {
      this.strikes = 0;
      return false;
    }
    const interval = openStreams === 0 && !this.policy.permitWithoutCalls ? idlePingIntervalMs : this.policy.minTimeMs;
    if (now - last < interval) this.strikes++;
    return this.strikes > maxPingStrikes;
  }
}
