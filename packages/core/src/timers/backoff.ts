/**
 * Connection backoff, as doc/connection-backoff.md specifies: exponential with jitter,
 * and a minimum time to allow each connection attempt.
 */
export interface BackoffOptions {
  /** Delay after the first failure. Default 1000 ms. */
  baseDelayMs?: number;
  /** Factor by which the delay grows after each failure. Default 1.6. */
  multiplier?: number;
  /** Random spread of each delay, as a fraction (0.2 = ±20%). Default 0.2. */
  jitter?: number;
  /** Upper bound of the delay. Default 120000 ms. */
  maxDelayMs?: number;
  /** The least time a connection attempt is given before it is abandoned. Default 20000 ms. */
  minConnectTimeoutMs?: number;
}

export const defaultBackoff: Required<BackoffOptions> = {
  baseDelayMs: 1000,
  multiplier: 1.6,
  jitter: 0.2,
  maxDelayMs: 120_000,
  minConnectTimeoutMs: 20_000,
};

/** Tracks the current backoff of one subchannel. */
export class Backoff {
  private readonly opts: Required<BackoffOptions>;
  private current: number;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.opts = { ...defaultBackoff, ...options };
    this.current = this.opts.baseDelayMs;
  }

  /** The delay before the next attempt; each call grows the following one. */
  next(): number {
    const { multiplier, jitter, maxDelayMs } = this.opts;
    const delay = this.current * (1 + jitter * (this.random() * 2 - 1));
    this.current = Math.min(this.current * multiplier, maxDelayMs);
    return Math.max(0, Math.round(delay));
  }

  /** After a successful connection the next failure starts from the base delay again. */
  reset(): void {
    this.current = this.opts.baseDelayMs;
  }

  get minConnectTimeoutMs(): number {
    return this.opts.minConnectTimeoutMs;
  }

  /** The time the next connection attempt is given: max(minimum connect timeout, current backoff). */
  connectTimeoutMs(): number {
    return Math.max(this.opts.minConnectTimeoutMs, this.current);
  }
}
