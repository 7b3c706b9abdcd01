/**
 * The bandwidth-delay product estimator that sizes a connection's receive windows, as
 * grpc-go's does: windows start at the protocol's 65,535 bytes and grow towards what
 * the link carries in one round trip, up to 16 MiB.
 *
 * When DATA arrives and no sample is being taken, the connection sends a BDP PING; the
 * DATA bytes that arrive until its ACK are the sample, and the PING's round trip times
 * it. A sample at least two thirds of the current estimate, taken at the highest
 * bandwidth seen yet, means the window (not the link) limited the peer: the estimate
 * becomes twice the sample.
 *
 * A grown window reaches the peer half a round trip later and its DATA arrives a round
 * trip after the growth, so a sample begun within a round trip of a growth counts bytes
 * the peer sent under the window before it. Such a sample is weighed against the window
 * that was in force while it was sent, and one that filled it grows the estimate by the
 * same factor: the window doubles every round trip while it is full, instead of every
 * other one.
 */
import { defaultInitialWindowSize } from "./frame.js";

/** The largest window the estimator grows to. */
export const bdpLimit = 16 << 20;
/** Weight of each new round-trip sample once the first nine are averaged. */
const rttWeight = 0.9;
/** A sample this fraction of the estimate or more says the window was full. */
const fullWindowFraction = 0.66;
/** The estimate grows to this multiple of a sample that filled the window. */
const growthFactor = 2;
/** The first round trips, before this many, are averaged; from this one on each is weighted. */
const bootstrapSamples = 10;
/** A round trip shorter than the timer can tell (loopback) still divides bandwidth. */
const minRttMs = 0.001;

/**
 * One connection's estimate. Times are milliseconds on a monotonic clock
 * (`performance.now()`), passed in so the arithmetic is testable without timers.
 */
export class BdpEstimator {
  /** The estimate: the window the peer is given now. */
  bdp: number;
  /** A BDP PING is out and its ACK not yet back. */
  pingOutstanding = false;
  /** DATA bytes received since the outstanding PING went out (including the DATA that sent it). */
  private sample = 0;
  private sentAt = 0;
  private samples = 0;
  /** Smoothed round-trip time, ms. */
  rttMs = 0;
  /** The highest bandwidth seen, bytes per ms. */
  private maxBandwidth = 0;
  /** The estimate before its last growth, and when that growth was. */
  private previousBdp: number;
  private grownAt = 0;
  /** The window the peer sent the current sample's bytes under (see the class comment). */
  private sampleWindow: number;

  constructor(
    initial: number = defaultInitialWindowSize,
    readonly limit: number = bdpLimit,
  ) {
    this.bdp = initial;
    this.previousBdp = initial;
    this.sampleWindow = initial;
  }

  /**
   * `n` DATA bytes arrived at `now`. True when a BDP PING must go out now: none is
   * out, and the estimate has not reached its limit.
   */
  received(n: number, now: number): boolean {
    if (this.bdp >= this.limit) return false;
    if (this.pingOutstanding) {
      this.sample += n;
      return false;
    }
    this.pingOutstanding = true;
    this.sample = n;
    this.sentAt = now;
    // The share of the sample's round trip the grown window was in force for.
    const share = this.rttMs > 0 ? Math.min(1, (now - this.grownAt) / this.rttMs) : 1;
    this.sampleWindow = this.previousBdp + (this.bdp - this.previousBdp) * share;
    this.samples++;
    return true;
  }

  /**
   * The BDP PING's ACK arrived at `now`. Returns the new estimate when the windows
   * must grow to it, else 0.
   */
  acknowledged(now: number): number {
    if (!this.pingOutstanding) return 0;
    this.pingOutstanding = false;
    const rtt = Math.max(now - this.sentAt, minRttMs);
    // The first nine round trips are averaged; after them, recent ones count most.
    this.rttMs += (rtt - this.rttMs) * (this.samples < bootstrapSamples ? 1 / this.samples : rttWeight);
    // A sample spans up to one and a half round trips: DATA already on its way when
    // the PING left, and DATA sent as the peer answered it.
    const bandwidth = this.sample / (Math.max(this.rttMs, minRttMs) * 1.5);
    if (bandwidth > this.maxBandwidth) this.maxBandwidth = bandwidth;
    // The highest bandwidth yet says the link, not a queue, carried a full window. A
    // sample sent under the window before the last growth repeats the round trips that
    // growth was judged on, so filling that window is enough.
    const straddled = this.sampleWindow < this.bdp;
    if (this.sample >= fullWindowFraction * this.sampleWindow && (straddled || bandwidth === this.maxBandwidth) && this.bdp < this.limit) {
      const grown = Math.min(Math.floor((growthFactor * this.sample * this.bdp) / this.sampleWindow), this.limit);
      if (grown > this.bdp) {
        this.previousBdp = this.bdp;
        this.grownAt = now;
        this.bdp = grown;
        return grown;
      }
    }
    return 0;
  }
}
