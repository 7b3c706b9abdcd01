/**
 * HTTP/2 flow control (RFC 9113 section 5.2, 6.9): the window we may send into, and
 * the window we give the peer, returned with WINDOW_UPDATE as the reader consumes.
 */
import { maxWindowSize } from "./frame.js";

/** Bytes we may still send: the peer's window for a stream or the connection. */
export class SendWindow {
  constructor(public size: number) {}

  /** Spends `n` bytes of the window (the caller sent only what `size` allowed). */
  consume(n: number): void {
    this.size -= n;
  }

  /**
   * Grows (or, for a SETTINGS change, shrinks) the window. False when it would pass
   * 2^31-1, which is a FLOW_CONTROL_ERROR.
   */
  grow(delta: number): boolean {
    const next = this.size + delta;
    if (next > maxWindowSize) return false;
    this.size = next;
    return true;
  }
}

/**
 * Bytes the peer may still send us. The window is returned as the application
 * consumes data, half a window at a time, so a reader that stops reading stops the
 * peer after at most one window.
 */
export class ReceiveWindow {
  private available: number;
  private unreturned = 0;

  constructor(private readonly target: number) {
    this.available = target;
  }

  /** Counts bytes received; false when the peer sent more than the window allowed. */
  receive(n: number): boolean {
    if (n > this.available) return false;
    this.available -= n;
    return true;
  }

  /** The application consumed `n` bytes; returns the WINDOW_UPDATE increment to send now, or 0. */
  release(n: number): number {
    this.unreturned += n;
    if (this.unreturned < this.target / 2) return 0;
    const increment = this.unreturned;
    this.unreturned = 0;
    this.available += increment;
    return increment;
  }

  /** Raises the window by `increment` at once (a connection window larger than the default). */
  widen(increment: number): void {
    this.available += increment;
  }

  get size(): number {
    return this.available;
  }
}
