/**
 * Counts events per second, for the flood limits a server puts on its peers (rapid
 * reset, PING, SETTINGS and empty DATA floods).
 */
export class RateLimit {
  private windowStart = 0;
  private count = 0;

  /** `max` events allowed in any one-second window; Infinity turns the limit off. */
  constructor(readonly max: number) {}

  /** Counts one event; false once the limit is passed within the current second. */
  take(now = Date.now()): boolean {
    if (this.max === Infinity) return true;
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.max;
  }
}
