/**
 * A timer for any delay. Node fires a setTimeout longer than 2^31−1 ms (about 24.8
 * days) after 1 ms, so a 30-day call timeout, or a peer's grpc-timeout of "99999999H",
 * would end a call at once. A LongTimer arms steps of at most `maxTimerMs` and arms the
 * next step when one fires early, so the callback runs once, when the whole delay has
 * passed. Every timer core sets from a user's or a peer's value is one of these.
 */

/**
 * The largest delay setTimeout takes (about 24.8 days); longer ones fire at once, so
 * timers are armed in steps of at most this.
 */
export const maxTimerMs = 0x7fffffff;

export class LongTimer {
  private handle: ReturnType<typeof setTimeout> | undefined;
  /** Milliseconds still to wait after the step now armed. */
  private left: number;

  /**
   * Calls `fn` after `delayMs` (negative or NaN: at the next turn of the timers).
   * `unref`: the timer alone does not keep the process running.
   */
  constructor(
    private readonly fn: () => void,
    delayMs: number,
    private readonly unref = false,
  ) {
    this.left = delayMs > 0 ? delayMs : 0;
    this.arm();
  }

  private arm(): void {
    const step = Math.min(this.left, maxTimerMs);
    this.left -= step;
    this.handle = setTimeout(this.fire, step);
    if (this.unref) this.handle.unref();
  }

  private readonly fire = (): void => {
    if (this.left > 0) {
      this.arm();
      return;
    }
    this.handle = undefined;
    this.fn();
  };

  /** True until the callback ran or the timer was cleared. */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  /** Cancels the timer; the callback will not run. */
  clear(): void {
    if (this.handle === undefined) return;
    clearTimeout(this.handle);
    this.handle = undefined;
  }
}
