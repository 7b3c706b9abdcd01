/**
 * The BDP estimator's arithmetic, fed samples with the times given: when it pings,
 * what a sample counts, when the estimate grows and by how much, and its limit.
 */
import { describe, expect, it } from "vitest";
import { BdpEstimator, bdpLimit } from "../src/bdp-estimator.js";

const initial = 65_535;

/** One round: `bytes` arrive in frames of `frame` while a PING is out for `rttMs`; returns what the ACK grew the estimate to (0: no growth). */
function round(e: BdpEstimator, start: number, rttMs: number, bytes: number, frame = 16_384): number {
  let pinged = 0;
  for (let sent = 0; sent < bytes; sent += frame) if (e.received(Math.min(frame, bytes - sent), start)) pinged++;
  expect(pinged).toBe(1);
  return e.acknowledged(start + rttMs);
}

describe("BdpEstimator", () => {
  it("pings on the first DATA and not again until the ACK; the DATA in between is the sample", () => {
    const e = new BdpEstimator(initial);
    expect(e.received(1000, 0)).toBe(true);
    expect(e.pingOutstanding).toBe(true);
    for (let i = 0; i < 100; i++) expect(e.received(1000, i)).toBe(false);
    // 101,000 bytes in one round trip against a 65,535 estimate: the window was full, so it doubles the sample.
    expect(e.acknowledged(10)).toBe(202_000);
    expect(e.bdp).toBe(202_000);
    expect(e.pingOutstanding).toBe(false);
    expect(e.received(1000, 20)).toBe(true);
  });

  it("does not grow on a sample under two thirds of the estimate", () => {
    const e = new BdpEstimator(initial);
    // 43,000 < 0.66 × 65,535 = 43,253: the window was not what held the peer back.
    expect(round(e, 0, 10, 43_000, 1000)).toBe(0);
    expect(e.bdp).toBe(initial);
    // 44,000 ≥ 43,253 at a higher bandwidth: grows to twice the sample.
    expect(round(e, 20, 10, 44_000, 1000)).toBe(88_000);
  });

  it("grows only at the highest bandwidth seen: a full window over a slower round trip does not grow it", () => {
    const e = new BdpEstimator(initial);
    expect(round(e, 0, 10, 65_535)).toBe(131_070);
    // 100,000 bytes is over two thirds of 131,070, but over an RTT that averages to
    // (10 + 40) / 2 = 25 ms, 100,000 / 37.5 ms is below the 65,535 / 15 ms seen before.
    expect(round(e, 100, 40, 100_000)).toBe(0);
    expect(e.rttMs).toBe(25);
    expect(e.bdp).toBe(131_070);
  });

  it("averages the first nine round trips, then weighs each new one at 0.9", () => {
    const e = new BdpEstimator(initial);
    const rtts = [10, 20, 30, 40, 50, 60, 70, 80, 90];
    let t = 0;
    for (const rtt of rtts) {
      round(e, t, rtt, 1000);
      t += 1000;
    }
    expect(e.rttMs).toBeCloseTo(50, 9);
    round(e, t, 100, 1000); // from the tenth on, each new round trip is weighted
    expect(e.rttMs).toBeCloseTo(50 + 0.9 * 50, 9);
  });

  it("grows round by round while the window is full, and stops at 16 MiB, after which it no longer pings", () => {
    const e = new BdpEstimator(initial);
    let t = 0;
    const grown: number[] = [];
    // A link that always fills the window in one 20 ms round trip.
    for (let i = 0; i < 20 && e.bdp < bdpLimit; i++) {
      const g = round(e, t, 20, e.bdp);
      if (g > 0) grown.push(g);
      t += 20;
    }
    expect(grown[0]).toBe(2 * initial);
    for (let i = 1; i < grown.length; i++) expect(grown[i]).toBeGreaterThan(grown[i - 1]);
    expect(grown.at(-1)).toBe(bdpLimit);
    expect(e.bdp).toBe(16 << 20);
    expect(e.received(1 << 20, t)).toBe(false);
    expect(e.pingOutstanding).toBe(false);
  });

  it("on a link whose windows reach the peer half a round trip late, doubles every round trip while the window is full, then holds", () => {
    // The peer sends under the estimate as it stood half a round trip before, so DATA at
    // a grown window arrives a round trip after the growth, as on a real link.
    const rtt = 20;
    const linkBytesPerRtt = 4_000_000;
    const e = new BdpEstimator(initial);
    const history: { at: number; bdp: number }[] = [{ at: -Infinity, bdp: initial }];
    const windowAt = (t: number): number => history.filter((h) => h.at <= t).at(-1)!.bdp;
    let t = 0;
    let roundsToFill = 0;
    for (let i = 1; i <= 40; i++) {
      const arriving = Math.min(linkBytesPerRtt, windowAt(t - rtt / 2));
      if (roundsToFill === 0 && windowAt(t - rtt / 2) >= linkBytesPerRtt) roundsToFill = i;
      const grown = round(e, t, rtt, arriving);
      t += rtt;
      if (grown > 0) history.push({ at: t, bdp: grown });
    }
    // 65,535 to 4,000,000 bytes is six doublings; the first round trip measures, and the
    // last growth reaches the peer a round trip late.
    expect(roundsToFill).toBeGreaterThan(0);
    expect(roundsToFill).toBeLessThanOrEqual(8);
    // Once the link, not the window, limits the peer, the estimate stops, within 4× the link's bytes per round trip.
    const settled = e.bdp;
    expect(settled).toBeGreaterThanOrEqual(linkBytesPerRtt);
    expect(settled).toBeLessThanOrEqual(4 * linkBytesPerRtt);
    expect(history.at(-1)!.at).toBeLessThan(t - 20 * rtt);
  });

  it("ignores an ACK when no PING is out", () => {
    const e = new BdpEstimator(initial);
    expect(e.acknowledged(5)).toBe(0);
    expect(e.bdp).toBe(initial);
  });

  it("takes a zero round trip (a loopback faster than the clock) without dividing by zero", () => {
    const e = new BdpEstimator(initial);
    expect(round(e, 7, 0, 65_535)).toBe(131_070);
    expect(Number.isFinite(e.rttMs)).toBe(true);
  });
});
