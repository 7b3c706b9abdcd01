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
 * consumes data, half a window at a time (or the `returnFraction` set), so a reader
 * that stops reading stops the peer after at most one window. The window's size may
 * grow (the BDP estimator's); what is returned after that is measured against the new
 * size.
 */
export class ReceiveWindow {
  private available: number;
  private unreturned = 0;
  /**
   * Consumed bytes go back once they are this fraction of the window. A window the BDP
   * estimator sizes is returned a quarter at a time: three quarters stay in flight, so
   * a sample sees the window full (at a half, samples fell near the estimator's
   * two-thirds line and the windows stopped growing early).
   */
  returnFraction = 0.5;

  constructor(private limit: number) {
    this.available = limit;
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
    if (this.unreturned < this.limit * this.returnFraction) return 0;
    return this.returnAll();
  }

  /** Returns every consumed byte now, however few; the WINDOW_UPDATE increment to send, or 0. */
  returnAll(): number {
    const increment = this.unreturned;
    this.unreturned = 0;
    this.available += increment;
    return increment;
  }

  /** Raises the window by `increment` at once (a connection window larger than the default). */
  widen(increment: number): void {
    this.available += increment;
  }

  /**
   * Grows the window's full size to `size`: the peer may send the difference at once.
   * Returns the difference (the WINDOW_UPDATE increment, or for a stream what the new
   * SETTINGS_INITIAL_WINDOW_SIZE gives it), 0 when the window is that large already.
   */
  growTo(size: number): number {
    const delta = size - this.limit;
    if (delta <= 0) return 0;
    this.limit = size;
    this.available += delta;
    return delta;
  }

  /** What the peer may still send. */
  get size(): number {
    return this.available;
  }

  /** The window's full size, which consumed bytes are returned up to. */
  get target(): number {
    return this.limit;
  }
}
