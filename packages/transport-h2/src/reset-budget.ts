/**
 * A server's guard against rapid reset (CVE-2023-44487) and server-made resets
 * (MadeYouReset, CVE-2025-8671): a budget of stream resets a client may cause.
 *
 * What is counted is the reset that leaves the server with work and nothing to show
 * for it: the client's RST_STREAM on a stream whose request it had not finished, and
 * every stream the server itself had to reset because of the client's frames. A
 * client's reset after its request was complete (a deadline passing, a hedged call's
 * loser, a cancelled stream) is not counted: the handler had its request, and a
 * storm of 10,000 calls timing out at once is a client's right.
 *
 * The budget starts full at `perSecond`, refills at `perSecond` per second, and each
 * stream that ends normally (the server's response sent) gives one back, so a busy
 * connection that also resets some streams never runs dry. A client that spends it all
 * gets GOAWAY ENHANCE_YOUR_CALM "too_many_resets".
 */
export class ResetBudget {
  private tokens: number;
  private refilledAt: number;

  /** Infinity turns the guard off. */
  constructor(
    readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = perSecond;
    this.refilledAt = now;
  }

  /** Counts one reset; false once the budget is spent. */
  take(now = Date.now()): boolean {
    if (this.perSecond === Infinity) return true;
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** A stream ended normally: one reset back. */
  refund(): void {
    if (this.tokens < this.perSecond) this.tokens++;
  }
}
