/**
 * One endpoint's call counts, kept in two buckets as gRFC A50 keeps them: calls that
 * finish now count in the active bucket, and the ejection checks read the other one,
 * which holds the last whole interval. The interval timer swaps them.
 */

interface Bucket {
  successes: number;
  failures: number;
}

export class CallCounter {
  private active: Bucket = { successes: 0, failures: 0 };
  private last: Bucket = { successes: 0, failures: 0 };

  /** Counts a finished call: a success when it ended OK, else a failure. */
  record(ok: boolean): void {
    if (ok) this.active.successes++;
    else this.active.failures++;
  }

  /** Ends an interval: what was counted becomes the last interval's counts, and counting starts from zero. */
  swap(): void {
    this.last = this.active;
    this.active = { successes: 0, failures: 0 };
  }

  /** Forgets every count, as when counting starts afresh. */
  clear(): void {
    this.active = { successes: 0, failures: 0 };
    this.last = { successes: 0, failures: 0 };
  }

  /** Calls that succeeded in the last interval. */
  get successes(): number {
    return this.last.successes;
  }

  /** Calls that failed in the last interval. */
  get failures(): number {
    return this.last.failures;
  }

  /** Calls that finished in the last interval. */
  get volume(): number {
    return this.last.successes + this.last.failures;
  }
}
