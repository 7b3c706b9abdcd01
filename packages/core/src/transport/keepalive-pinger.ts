/**
 * The keepalive loop of one connection (gRFC A8 on the client, grpc-go's server
 * keepalive on the server): after `timeMs` without reading anything from the peer,
 * send a PING; when neither its ACK nor anything else arrives within `timeoutMs`, the
 * connection is dead. Reads are noticed through a flag the streams set, so the loop
 * costs one timer per connection and nothing per message: a PING goes out between
 * `timeMs` and twice that after the last read.
 */
import { maxTimerMs } from "../timers/long-timer.js";

/** What the loop watches on its connection. */
export interface KeepaliveTarget {
  /** Set by the connection whenever something is read from the peer; the loop clears it. */
  received: boolean;
  /** Streams open on the connection now. */
  readonly openStreams: number;
}

export interface KeepalivePingerOptions {
  readonly timeMs: number;
  readonly timeoutMs: number;
  /** When false the loop sleeps while no stream is open, until `streamOpened`. */
  readonly permitWithoutCalls: boolean;
  /** No ACK and nothing read within `timeoutMs` of a PING. */
  readonly onTimeout: () => void;
}

export class KeepalivePinger {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private awaitingAck = false;
  private stopped = false;
  /** Asleep because no stream is open and pings without calls are not permitted. */
  dormant = false;
  /** PINGs sent so far. */
  pingsSent = 0;

  constructor(
    /** Sends a PING and calls `onAck` when it is answered (or with an error); false when it cannot be sent now. */
    private readonly sendPing: (onAck: (error: Error | null) => void) => boolean,
    private readonly target: KeepaliveTarget,
    private readonly options: KeepalivePingerOptions,
  ) {
    this.arm(options.timeMs);
  }

  /** A stream opened: a sleeping loop starts counting again. */
  streamOpened(): void {
    if (!this.dormant || this.stopped) return;
    this.dormant = false;
    this.arm(this.options.timeMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.onTimer, Math.min(ms, maxTimerMs));
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const target = this.target;
    if (target.received) {
      target.received = false;
      this.awaitingAck = false;
      this.arm(this.options.timeMs);
      return;
    }
    if (this.awaitingAck) {
      this.stop();
      this.options.onTimeout();
      return;
    }
    if (target.openStreams === 0 && !this.options.permitWithoutCalls) {
      this.dormant = true;
      return;
    }
    let sent: boolean;
    try {
      sent = this.sendPing(this.onAck);
    } catch {
      sent = false;
    }
    if (!sent) {
      // A transport may refuse a PING while too many are unanswered: they are their own liveness check.
      this.arm(this.options.timeMs);
      return;
    }
    this.pingsSent++;
    this.awaitingAck = true;
    this.arm(this.options.timeoutMs);
  };

  private readonly onAck = (error: Error | null): void => {
    // An error means the session went away, which its owner learns from the session.
    if (error !== null || this.stopped || !this.awaitingAck) return;
    this.awaitingAck = false;
    this.target.received = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.arm(this.options.timeMs);
  };
}
